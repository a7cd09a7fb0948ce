package be.audiencematch.audience;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Rows of several identifiers (text/csv): a row matches when any identifier does, and counts once. */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class MultiIdentifierRowsTest {

    private static String multi(String advertiser) {
        return advertiser(advertiser).contentType(ContentType.JSON)
                .body("{\"name\":\"crm\",\"identifier_types\":[\"email_sha256\",\"phone_sha256\"],\"channel\":\"tv\"}")
                .post("/v1/audiences").then().statusCode(201).extract().path("id");
    }

    private static Response csv(String advertiser, String audience, String body) {
        return advertiser(advertiser).contentType("text/csv").body(body.getBytes(StandardCharsets.UTF_8))
                .post("/v1/audiences/" + audience + "/members");
    }

    @Test
    void aRowMatchesByAnyOfItsIdentifiersAndCountsOnce() {
        int from = range(300);
        loadSubscribers(from, 300, i -> true, i -> false, i -> false);
        String audience = multi("crm");
        StringBuilder body = new StringBuilder("email_sha256,phone_sha256\n");
        for (int i = from; i < from + 100; i++) {
            body.append(SyntheticBase.emailHash(i)).append(',').append(SyntheticBase.phoneHash(i)).append('\n');
        }
        for (int i = from + 100; i < from + 150; i++) {
            body.append(",\"").append(SyntheticBase.phoneHash(i)).append("\"\n");
        }
        for (int i = from + 150; i < from + 200; i++) {
            body.append("00".repeat(32)).append(',').append(SyntheticBase.phoneHash(i)).append('\n');
        }
        // A row whose e-mail and phone are two different subscribers is one customer: counted once, by its e-mail.
        for (int i = from + 200; i < from + 230; i++) {
            body.append(SyntheticBase.emailHash(i)).append(',').append(SyntheticBase.phoneHash(i + 30)).append('\n');
        }
        body.append("garbage,also garbage\n".repeat(5));
        body.append("jan@example.be,").append(SyntheticBase.phoneHash(from + 280)).append('\n');
        body.append(SyntheticBase.emailHash(from + 281)).append(",+32 475 12 34 56\n");
        Response uploaded = csv("crm", audience, body.toString());
        uploaded.then().statusCode(200);
        assertEquals(237, (Integer) uploaded.path("received"));
        assertEquals(230, (Integer) uploaded.path("valid"));
        assertEquals(7, (Integer) uploaded.path("invalid"));
        assertEquals(2, (Integer) uploaded.path("plaintext_rejected"));

        Response report = advertiser("crm").get("/v1/audiences/" + audience);
        assertEquals(230, (Integer) report.path("matched"), "100 + 50 + 50 + 30 rows, each once");
        assertNull(report.path("identifier_type"), "no single identifier type");
        assertEquals(List.of("email_sha256", "phone_sha256"), report.path("identifier_types"));

        // A row holding clear text was refused whole: its digest did not count either.
        assertProblem(advertiser("crm").contentType("text/plain").body(SyntheticBase.emailHash(from) + "\n")
                .post("/v1/audiences/" + audience + "/members"), 415, "text/csv");
    }

    @Test
    void theHeaderMustNameColumnsTheAudienceTakes() {
        String multi = multi("crm");
        assertProblem(csv("crm", multi, "name,city\n" + "00".repeat(32) + ",x\n"), 400, "line 1");
        String emails = createAudience("crm", "tv");
        assertProblem(csv("crm", emails, "phone_sha256\n" + "00".repeat(32) + "\n"), 400, "line 1: column 1");
        csv("crm", emails, "email_sha256\n" + "00".repeat(32) + "\n").then().statusCode(200);
        assertProblem(advertiser("crm").contentType(ContentType.JSON)
                .body("{\"name\":\"x\",\"identifier_type\":\"email_sha256\",\"identifier_types\":[\"phone_sha256\"],"
                        + "\"channel\":\"tv\"}").post("/v1/audiences"), 400, "not both");
    }
}
