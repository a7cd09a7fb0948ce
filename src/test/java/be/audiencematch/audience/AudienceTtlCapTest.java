package be.audiencematch.audience;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** An audience lives at most the configured cap (audience-match.audience.max-ttl, 396 days by default). */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class AudienceTtlCapTest {

    @Test
    void ttlDaysBeyondTheCapAreRefusedNamingTheFieldAndTheCap() {
        Response over = advertiser("acme").contentType(ContentType.JSON)
                .body("{\"name\":\"long\",\"channel\":\"tv\",\"ttl_days\":397}").post("/v1/audiences");
        assertProblem(over, 400, "'ttl_days'");
        assertProblem(over, 400, "396");
        // 540 was the former ceiling: no longer allowed by default.
        assertProblem(advertiser("acme").contentType(ContentType.JSON)
                .body("{\"name\":\"long\",\"channel\":\"tv\",\"ttl_days\":540}").post("/v1/audiences"), 400, "'ttl_days'");

        Response atCap = advertiser("acme").contentType(ContentType.JSON)
                .body("{\"name\":\"long\",\"channel\":\"tv\",\"ttl_days\":396}").post("/v1/audiences");
        atCap.then().statusCode(201);
        Instant created = Instant.parse(atCap.path("created_at"));
        Instant expires = Instant.parse(atCap.path("expires_at"));
        assertEquals(Duration.ofDays(396), Duration.between(created, expires));
        advertiser("acme").delete("/v1/audiences/" + atCap.path("id")).then().statusCode(204);
    }
}
