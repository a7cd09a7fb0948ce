package be.audiencematch.kernel;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.token;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives every endpoint with good and hostile input, then reads everything the service logged (DEBUG for our
 * packages, TestEnvironment's log file) for this test's identifiers, digests, subscriber and household ids and
 * tokens. The scanner first proves it finds a planted one, so the test can fail.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class LogPrivacyTest {

    @Test
    void nothingPersonalReachesTheLogWhateverTheApiIsSent() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        int from = range(30);
        List<String> secrets = new ArrayList<>();
        String household = "hh-logged-" + run;
        String subscriber = "sub-logged-" + run;
        String email = "jan.logged." + run + "@example.be";
        String digest = SyntheticBase.emailHash(from);
        secrets.add(household);
        secrets.add(subscriber);
        secrets.add(email);
        secrets.add(digest);
        secrets.add(digest.toUpperCase());
        String feedToken = token("subscriber-feed", "feed");
        String advertiserToken = token("advertiser", "logged-" + run);
        secrets.add(feedToken);
        secrets.add(feedToken.substring(feedToken.lastIndexOf('.') + 1));
        secrets.add(advertiserToken.substring(advertiserToken.lastIndexOf('.') + 1));
        for (int i = from; i < from + 30; i++) {
            secrets.add(SyntheticBase.subscriberId(i));
            secrets.add(SyntheticBase.emailHash(i).substring(0, 20));
            secrets.add(SyntheticBase.phoneHash(i).substring(0, 20));
        }

        // The feed: create, patch, replace with bad input, bulk with good and bad lines, erase.
        String body = "{\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"" + digest + "\"}],\"household_id\":\""
                + household + "\",\"consents\":{\"tv\":true,\"web\":true,\"ads_and_data\":true}}";
        feed().contentType(ContentType.JSON).body(body).put("/v1/subscribers/" + subscriber).then().statusCode(201);
        feed().contentType(ContentType.JSON).body("{\"tv\":false}").patch("/v1/subscribers/" + subscriber + "/consents")
                .then().statusCode(204);
        feed().contentType(ContentType.JSON).body(body.replace(digest, email)).put("/v1/subscribers/" + subscriber)
                .then().statusCode(400);
        feed().contentType(ContentType.JSON).body("{\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"" + digest
                + "\"}],\"household_id\":\"" + household + "\",\"nonsense\":\"" + email + "\"}")
                .put("/v1/subscribers/" + subscriber).then().statusCode(400);
        feed().contentType(ContentType.JSON).body("{\"household_id\":\"" + household + "\", broken")
                .put("/v1/subscribers/" + subscriber).then().statusCode(400);
        feed().contentType(ContentType.JSON).body(body).put("/v1/subscribers/85.07.30-033.28").then().statusCode(400);
        StringBuilder bulk = new StringBuilder();
        for (int i = from; i < from + 30; i++) {
            bulk.append(SyntheticBase.ndjsonLine(i));
        }
        bulk.append("{\"subscriber_id\":\"").append(subscriber).append("-x\",\"identifiers\":[{\"type\":\"email_sha256\",")
                .append("\"value\":\"").append(email).append("\"}]}\n").append("not json ").append(household).append('\n');
        feed().contentType("application/x-ndjson").body(bulk.toString().getBytes(StandardCharsets.UTF_8))
                .post("/v1/subscribers/bulk").then().statusCode(org.hamcrest.Matchers.oneOf(200, 400));
        feed().contentType("text/plain").queryParam("channel", "tv")
                .body((digest + "\n" + email + "\n").getBytes(StandardCharsets.UTF_8))
                .put("/v1/segments/logged-" + run).then().statusCode(400);
        feed().contentType("text/plain").queryParam("channel", "tv").body((digest + "\n").getBytes(StandardCharsets.UTF_8))
                .put("/v1/segments/logged-" + run).then().statusCode(200);
        feed().get("/v1/segments").then().statusCode(200);

        // An advertiser: create, upload (with clear text, gzip), report, remove, replace, campaign, delete.
        String audience = advertiser("logged-" + run).contentType(ContentType.JSON)
                .body("{\"name\":\"" + email + "\",\"identifier_type\":\"email_sha256\",\"channel\":\"tv\"}")
                .post("/v1/audiences").then().statusCode(201).extract().path("id");
        advertiser("logged-" + run).contentType("text/plain").header("Content-Encoding", "gzip")
                .body(gzip(digest + "\n" + email + "\n+32 475 12 34 56\n")).post("/v1/audiences/" + audience + "/members")
                .then().statusCode(200);
        advertiser("logged-" + run).queryParam("segments", "logged-" + run).get("/v1/audiences/" + audience)
                .then().statusCode(200);
        advertiser("logged-" + run).contentType("text/plain").body(digest + "\n")
                .urlEncodingEnabled(false).post("/v1/audiences/" + audience + "/members:remove").then().statusCode(200);
        advertiser("logged-" + run).contentType("text/plain").body(digest + "\n")
                .put("/v1/audiences/" + audience + "/members").then().statusCode(200);
        String campaign = advertiser("logged-" + run).contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + audience + "\",\"starts_at\":\"" + Instant.now().minus(Duration.ofHours(1))
                        + "\",\"ends_at\":\"" + Instant.now().plus(Duration.ofDays(3)) + "\"}")
                .post("/v1/campaigns").then().statusCode(201).extract().path("id");
        advertiser("logged-" + run).get("/v1/campaigns/" + campaign).then().statusCode(200);
        advertiser("logged-" + run).get("/v1/privacy/budget").then().statusCode(200);
        advertiser("logged-" + run).get("/v1/audiences/" + digest).then().statusCode(404);

        // The ad server, Ads & Data, the DPO.
        as("adserver", "pickx").contentType(ContentType.JSON)
                .body("{\"household_id\":\"" + household + "\",\"campaign_ids\":[\"" + campaign + "\"]}")
                .post("/v1/eligibility").then().statusCode(200);
        as("adserver", "pickx").get("/v1/eligibility/" + household).then().statusCode(200);
        as("adsdata", "ads-and-data").get("/v1/exports/ads-and-data/segments").then().statusCode(200);
        as("adsdata", "ads-and-data").get("/v1/exports/ads-and-data/segments/logged-" + run).then().statusCode(200);
        as("dpo", "dpo").get("/v1/dpo/subscribers/" + subscriber).then().statusCode(200);
        as("dpo", "dpo").get("/v1/audit?limit=5").then().statusCode(200);

        // Hostile callers: forged, tampered and missing tokens; a token in the wrong place.
        RestAssured.given().header("Authorization", "Bearer " + feedToken + "x").get("/v1/segments").then()
                .statusCode(401);
        RestAssured.given().header("Authorization", "Bearer " + feedToken.substring(0, feedToken.lastIndexOf('.')) + ".")
                .get("/v1/segments").then().statusCode(401);
        RestAssured.given().header("Authorization", feedToken).get("/v1/subscribers/" + subscriber).then().statusCode(401);
        RestAssured.given().queryParam("access_token", feedToken).get("/v1/segments").then().statusCode(401);

        feed().delete("/v1/subscribers/" + subscriber).then().statusCode(204);
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(from)).then().statusCode(204);

        String canary = "canary-" + run + "@example.be";
        Logger.getLogger("be.audiencematch.logcheck").info("planted " + canary);
        String log = Files.readString(TestEnvironment.logFile(), StandardCharsets.UTF_8);
        assertTrue(leaks(log, List.of(canary)).size() == 1, "the scanner finds what was planted");
        assertEquals(List.of(), leaks(log, secrets), "personal data or tokens in the service's log");
        assertTrue(!java.util.regex.Pattern.compile("(?i)[0-9a-f]{64}").matcher(log).find(), "no digest in the log");
    }

    /** Which of {@code secrets} the log holds (the test prints how many, never which). */
    private static List<Integer> leaks(String log, List<String> secrets) {
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i < secrets.size(); i++) {
            if (log.contains(secrets.get(i))) {
                found.add(i);
            }
        }
        return found;
    }

    private static byte[] gzip(String text) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
