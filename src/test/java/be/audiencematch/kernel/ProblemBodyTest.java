package be.audiencematch.kernel;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.feed;

@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ProblemBodyTest {

    @Test
    void malformedJsonSaysWhere() {
        assertProblem(advertiser("acme").contentType(ContentType.JSON).body("{\"name\":\"x\",\n\"channel\":")
                .post("/v1/audiences"), 400, "malformed JSON at line 2");
    }

    @Test
    void anUnknownFieldIsNamed() {
        assertProblem(advertiser("acme").contentType(ContentType.JSON)
                .body("{\"name\":\"x\",\"channel\":\"tv\",\"rijksregisternummer\":\"x\"}")
                .post("/v1/audiences"), 400, "unknown field 'rijksregisternummer'");
        assertProblem(feed().contentType(ContentType.JSON)
                .body("{\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"ab\",\"clear\":\"x\"}]}")
                .put("/v1/subscribers/s-1"), 400, "identifiers[0].clear");
    }

    @Test
    void aFieldOfTheWrongTypeIsNamed() {
        assertProblem(advertiser("acme").contentType(ContentType.JSON)
                .body("{\"name\":\"x\",\"channel\":\"tv\",\"ttl_days\":\"soon\"}")
                .post("/v1/audiences"), 400, "'ttl_days'");
        assertProblem(feed().contentType(ContentType.JSON).body("{\"consents\":{\"tv\":\"maybe\"}}")
                .put("/v1/subscribers/s-1"), 400, "consents.tv");
    }

    @Test
    void aClearTextIdentifierIsRefusedWithoutEchoingIt() {
        var response = feed().contentType(ContentType.JSON)
                .body("{\"identifiers\":[{\"type\":\"phone_sha256\",\"value\":\"+32 475 12 34 56\"}]}")
                .put("/v1/subscribers/s-1");
        assertProblem(response, 400, "identifiers[0].value");
        if (response.asString().contains("475")) {
            throw new AssertionError("the value was echoed");
        }
    }

    @Test
    void theWrongContentTypeIs415() {
        assertProblem(advertiser("acme").contentType("application/xml").body("<audience/>").post("/v1/audiences"),
                415, "content type");
        assertProblem(feed().contentType(ContentType.JSON).body("{}").post("/v1/subscribers/bulk"), 415, null);
    }

    @Test
    void aBodyOverTheJsonLimitIs413() {
        String big = "{\"name\":\"" + "x".repeat(1_100_000) + "\",\"channel\":\"tv\"}";
        assertProblem(advertiser("acme").contentType(ContentType.JSON).body(big).post("/v1/audiences"), 413, "exceeds");
    }

    @Test
    void unknownPathsAndMethodsAreProblemsToo() {
        assertProblem(advertiser("acme").get("/v1/audiences/aud_unknown"), 404, null);
        assertProblem(feed().put("/v1/segments"), 405, null);
    }
}
