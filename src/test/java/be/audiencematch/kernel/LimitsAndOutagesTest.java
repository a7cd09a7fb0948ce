package be.audiencematch.kernel;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.matched;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotNull;

@QuarkusTest
@TestProfile(LimitsAndOutagesTest.SmallUploads.class)
@WithTestResource(TestEnvironment.class)
class LimitsAndOutagesTest {

    /** Uploads limited to 50,000 bytes, so a test can cross the line cheaply. */
    public static class SmallUploads implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("audience-match.upload.max-bytes", "50000");
        }
    }

    @Test
    void anUploadOverTheLimitIs413AndStoresNothing() {
        int from = range(1000);
        loadSubscribers(from, 150, i -> true, i -> false, i -> false);
        String id = createAudience("acme", "tv");
        // 1000 rows of 65 bytes: over the limit, whether declared up front or discovered while streaming.
        assertProblem(upload("acme", id, emails(from, 1000)), 413, "exceeds");
        Response chunked = advertiser("acme").contentType("text/plain")
                .body(new java.io.ByteArrayInputStream(emails(from, 1000).getBytes())).post("/v1/audiences/" + id + "/members");
        assertProblem(chunked, 413, "exceeds");
        Response report = advertiser("acme").get("/v1/audiences/" + id);
        assertEquals(0, (Integer) report.path("received"), "nothing of a refused upload is counted");
        upload("acme", id, emails(from, 150)).then().statusCode(200);
        assertEquals(150, matched("acme", id));
    }

    @Test
    void whileRedisIsDownRequestsGet503AndReadinessIsDown() throws Exception {
        RestAssured.given().get("/q/health/ready").then().statusCode(200);
        TestEnvironment.baseRedis().stop();
        try {
            Response response = feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                    .patch("/v1/subscribers/s-1/consents");
            assertProblem(response, 503, "retry later");
            assertNotNull(response.header("Retry-After"));
            assertProblem(advertiser("acme").get("/v1/audiences"), 503, null);
            RestAssured.given().get("/q/health/ready").then().statusCode(503);
        } finally {
            TestEnvironment.baseRedis().start();
        }
        // Lettuce reconnects by itself; readiness reports it once a PING gets through.
        long deadline = System.nanoTime() + 30_000_000_000L;
        int status = 0;
        while (System.nanoTime() < deadline && status != 200) {
            status = RestAssured.given().get("/q/health/ready").statusCode();
        }
        assertEquals(200, status);
        // Readiness pings one connection; the event loops' own connections may still be reconnecting a moment
        // later, and meanwhile a write is refused with 503 (never lost). Each attempt is a real request.
        int created = 0;
        while (System.nanoTime() < deadline && created != 201) {
            created = advertiser("acme").contentType(ContentType.JSON)
                    .body("{\"name\":\"after the outage\",\"identifier_type\":\"email_sha256\",\"channel\":\"tv\"}")
                    .post("/v1/audiences").statusCode();
            assertTrue(created == 201 || created == 503, "while reconnecting: " + created);
        }
        assertEquals(201, created, "writes work again once Redis is back");
    }
}
