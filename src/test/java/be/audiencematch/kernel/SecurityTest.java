package be.audiencematch.kernel;

import be.audiencematch.cli.LocalKeys;
import be.audiencematch.support.Fixtures;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.time.Duration;

import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@WithTestResource(TestEnvironment.class)
class SecurityTest {

    @ParameterizedTest
    @CsvSource({"GET,/v1/audiences", "GET,/v1/segments", "DELETE,/v1/subscribers/s-1", "POST,/v1/subscribers/bulk",
        "POST,/v1/ping"})
    void everyEndpointNeedsAToken(String method, String path) {
        Response response = RestAssured.given().request(method, path);
        assertProblem(response, 401, "bearer token");
        assertEquals("Bearer", response.header("WWW-Authenticate"));
    }

    @Test
    void aTokenSignedByAnotherKeyIsRefused() throws Exception {
        java.nio.file.Path dir = Files.createTempDirectory("am-other-keys-");
        LocalKeys stranger = new LocalKeys(dir).ensure();
        String forged = stranger.token("advertiser", "acme", Duration.ofMinutes(5));
        Files.delete(stranger.privateKey());
        Files.delete(stranger.publicKey());
        Files.delete(dir);
        assertProblem(RestAssured.given().header("Authorization", "Bearer " + forged).get("/v1/audiences"), 401, null);
        assertProblem(RestAssured.given().header("Authorization", "Bearer not-a-jwt").get("/v1/audiences"), 401, null);
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        String expired = TestEnvironment.keys().token("advertiser", "acme", Duration.ofSeconds(-120));
        assertProblem(RestAssured.given().header("Authorization", "Bearer " + expired).get("/v1/audiences"), 401, null);
    }

    @ParameterizedTest
    @CsvSource({"advertiser,GET,/v1/segments", "subscriber-feed,GET,/v1/audiences", "adserver,GET,/v1/audiences",
        "adsdata,DELETE,/v1/subscribers/s-1", "dpo,GET,/v1/segments", "root,GET,/v1/audiences",
        "advertiser,POST,/v1/subscribers/bulk"})
    void aRoleOutsideTheEndpointsIsForbidden(String role, String method, String path) {
        assertProblem(as(role, "someone").contentType("application/x-ndjson").body(new byte[0]).request(method, path),
                403, null);
    }

    @ParameterizedTest
    @CsvSource({"subscriber-feed,200", "advertiser,200", "adserver,200", "adsdata,200", "dpo,200", "root,403",
        "'',403"})
    void pingAnswersEveryKnownRoleAndNoOther(String role, int status) {
        assertEquals(status, as(role, "someone").get("/v1/ping").statusCode());
        assertEquals(status, as(role, "someone").contentType("application/json").body("{\"ignored\":true}")
                .post("/v1/ping").statusCode(), "the same with a body, which is not read");
    }

    @Test
    void healthAndMetricsAreOpenWithoutPersonalData() {
        RestAssured.given().get("/q/health/ready").then().statusCode(200);
        String metrics = RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertEquals(false, metrics.matches("(?s).*[0-9a-f]{64}.*"));
        Fixtures.feed().get("/v1/segments").then().statusCode(200);
    }

    /**
     * Requests refused before routing (no token, a body over its limit) or by method (405) carry their raw path into
     * the HTTP metrics unless MetricUriLabels masks it: the ids in these paths must not become metric labels.
     */
    @Test
    void idsInRefusedPathsNeverBecomeMetricLabels() {
        RestAssured.given().contentType("application/json").body("{}").put("/v1/subscribers/leak-sub-1001")
                .then().statusCode(401);
        RestAssured.given().get("/v1/eligibility/leak-hh-1002").then().statusCode(401);
        Fixtures.feed().post("/v1/subscribers/leak-sub-1003").then().statusCode(405);
        Fixtures.feed().contentType("application/json").body("{\"x\":\"" + "a".repeat(1_100_000) + "\"}")
                .put("/v1/subscribers/leak-sub-1004").then().statusCode(413);
        String metrics = RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertEquals(false, metrics.contains("leak-"), "an id from a request path is in /q/metrics");
        assertEquals(true, metrics.lines().anyMatch(l -> l.startsWith("http_server_requests_seconds_count")
                && l.contains("status=\"401\"") && l.contains("uri=\"/v1/subscribers/{id}\"")),
                "the refused request is still counted, under a masked path");
    }

    @Test
    void aRepeatedTokenIsVerifiedOnceAndCountedWithoutItsContent() {
        String token = Fixtures.token("adserver", "pickx");
        double before = reuses();
        for (int i = 0; i < 3; i++) {
            RestAssured.given().header("Authorization", "Bearer " + token).get("/v1/ping").then().statusCode(200);
        }
        assertEquals(2.0, reuses() - before, "the first call verifies, the next two reuse the verification");
        // A changed signature is a different token: verified in full, refused.
        String forged = token.substring(0, token.length() - 20) + (token.charAt(token.length() - 20) == 'A' ? 'B' : 'A')
                + token.substring(token.length() - 19);
        assertProblem(RestAssured.given().header("Authorization", "Bearer " + forged).get("/v1/ping"), 401, null);
        String metrics = RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertEquals(false, metrics.contains(token.substring(token.lastIndexOf('.') + 1, token.lastIndexOf('.') + 20)));
    }

    private static double reuses() {
        String metrics = RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("audience_match_verified_token_reuses_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
