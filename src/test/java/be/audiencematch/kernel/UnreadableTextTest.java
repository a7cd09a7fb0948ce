package be.audiencematch.kernel;

import be.audiencematch.support.Fixtures;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.feed;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bodies that start with zero bytes, which Jackson reads as UTF-32 and refuses with an I/O error rather than a JSON
 * one (the fuzz tests' findings): still the client's fault, answered as such.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class UnreadableTextTest {

    /** Four bytes that make Jackson guess UTF-32, then no valid UTF-32 character. */
    private static final byte[] UTF32_GUESS = {0, 0, 0, 0x7b, 2, 0, 0x28, 0, 0, 0, 0, 0};

    @Test
    void aConsentPatchThatIsNotUtf8Is400() {
        Response response = feed().contentType(ContentType.JSON).body(UTF32_GUESS).patch("/v1/subscribers/s-1/consents");
        assertProblem(response, 400, "not text in UTF-8");
    }

    @Test
    void aBulkLineThatIsNotUtf8IsRejectedAloneAndTheLoadGoesOn() throws Exception {
        int from = Fixtures.range(2);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write((Fixtures.subscriberJson(from, true, false, false, true) + "\n").getBytes(StandardCharsets.UTF_8));
        body.write(UTF32_GUESS);
        body.write(("\n" + Fixtures.subscriberJson(from + 1, true, false, false, true) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        Response response = feed().contentType("application/x-ndjson").body(body.toByteArray())
                .post("/v1/subscribers/bulk");
        assertEquals(200, response.statusCode(), response.asString());
        assertEquals(2, (Integer) response.path("accepted"));
        assertEquals(1, (Integer) response.path("rejected"));
    }
}
