package be.audiencematch.audience;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.matched;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestResource(TestEnvironment.class)
class AudienceReportTest {

    @Test
    void reportCountsOnlyListedSubscribersWhoConsentToTheChannelRoundedDown() {
        int from = range(400);
        // 400 subscribers: TV consent for the first 257, web for none.
        loadSubscribers(from, 400, i -> i < from + 257, i -> false, i -> false);
        String tv = createAudience("acme", "tv");
        String web = createAudience("acme", "web");
        // The list holds 300 of them and 50 strangers.
        String list = emails(from, 300) + emails(from + 5_000_000, 50);
        upload("acme", tv, list).then().statusCode(200);
        upload("acme", web, list).then().statusCode(200);

        Response report = advertiser("acme").get("/v1/audiences/" + tv);
        report.then().statusCode(200);
        assertEquals(250, (Integer) report.path("matched"), "257 consenting matches, rounded down to 10");
        assertEquals(350, (Integer) report.path("received"));
        assertEquals(350, (Integer) report.path("valid"));
        assertEquals(false, report.path("below_threshold"));
        assertEquals(100, (Integer) report.path("threshold"));
        assertEquals(10, (Integer) report.path("rounded_to"));
        assertEquals("tv", report.path("channel"));
        assertEquals("email_sha256", report.path("identifier_type"));
        assertTrue(report.asString().contains("\"expires_at\""));
        assertFalse(report.asString().contains("\"noise\""), "exact counts when differential privacy is off");
        // Nobody consented to web: fail closed, and the count is suppressed, not zero-with-a-hint.
        assertNull(matched("acme", web));
    }

    @Test
    void consentMissingFromTheBodyIsNo() {
        int from = range(150);
        for (int i = from; i < from + 150; i++) {
            feed().contentType(ContentType.JSON)
                    .body("{\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"" + SyntheticBase.emailHash(i)
                            + "\"}],\"consents\":{\"web\":true}}")
                    .put("/v1/subscribers/" + SyntheticBase.subscriberId(i)).then().statusCode(201);
        }
        String tv = createAudience("acme", "tv");
        String web = createAudience("acme", "web");
        upload("acme", tv, emails(from, 150)).then().statusCode(200);
        upload("acme", web, emails(from, 150)).then().statusCode(200);
        assertNull(matched("acme", tv), "tv consent was never sent, so nobody may be counted");
        assertEquals(150, matched("acme", web));
    }

    @Test
    void belowTheThresholdTheCountIsSuppressed() {
        int from = range(99);
        loadSubscribers(from, 99, i -> true, i -> true, i -> true);
        String id = createAudience("acme", "tv");
        upload("acme", id, emails(from, 99)).then().statusCode(200);
        Response report = advertiser("acme").get("/v1/audiences/" + id);
        assertNull(report.path("matched"));
        assertEquals(true, report.path("below_threshold"));
        assertTrue(report.asString().contains("\"matched\":null"), "matched is present and null");
    }

    @Test
    void aWithdrawalAndAnErasureLowerTheNextReport() {
        int from = range(200);
        loadSubscribers(from, 200, i -> true, i -> false, i -> false);
        String id = createAudience("acme", "tv");
        upload("acme", id, emails(from, 200)).then().statusCode(200);
        assertEquals(200, matched("acme", id));

        for (int i = from; i < from + 10; i++) {
            feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                    .patch("/v1/subscribers/" + SyntheticBase.subscriberId(i) + "/consents").then().statusCode(204);
        }
        assertEquals(190, matched("acme", id));

        for (int i = from + 10; i < from + 30; i++) {
            feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(i)).then().statusCode(204);
        }
        assertEquals(170, matched("acme", id));

        // Consent given again counts again; an erased subscriber who comes back does not rejoin old lists.
        for (int i = from; i < from + 30; i++) {
            if (i < from + 10) {
                feed().contentType(ContentType.JSON).body("{\"tv\":true}")
                        .patch("/v1/subscribers/" + SyntheticBase.subscriberId(i) + "/consents").then().statusCode(204);
            } else {
                feed().contentType(ContentType.JSON).body(be.audiencematch.support.Fixtures.subscriberJson(i, true,
                        false, false, false)).put("/v1/subscribers/" + SyntheticBase.subscriberId(i))
                        .then().statusCode(201);
            }
        }
        assertEquals(180, matched("acme", id));
    }

    @Test
    void segmentsRefineTheReportToTheirMembers() {
        int from = range(600);
        loadSubscribers(from, 600, i -> true, i -> true, i -> false);
        String football = "football-" + from;
        String news = "news-" + from;
        putSegment(football, "tv", emails(from, 300));         // 0..299
        putSegment(news, "tv", emails(from + 150, 300));       // 150..449
        putSegment("web-" + from, "web", emails(from, 600));
        String id = createAudience("acme", "tv");
        upload("acme", id, emails(from, 600)).then().statusCode(200);

        assertEquals(600, matched("acme", id));
        assertEquals(300, matched("acme", id, football));
        assertEquals(150, matched("acme", id, football, news), "in every named segment");
        advertiser("acme").queryParam("segments", "web-" + from).get("/v1/audiences/" + id)
                .then().statusCode(400).contentType("application/problem+json");
        advertiser("acme").queryParam("segments", "no-such-segment").get("/v1/audiences/" + id)
                .then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void uploadsAddUpAndClearTextRowsAreCountedApart() {
        int from = range(120);
        loadSubscribers(from, 120, i -> true, i -> false, i -> false);
        String id = createAudience("acme", "tv");
        String first = emails(from, 60) + "\n\njan@example.be\n+32 475 12 34 56\nnot-a-hash\n";
        Response counts = upload("acme", id, first);
        counts.then().statusCode(200);
        assertEquals(63, (Integer) counts.path("received"), "blank lines are skipped");
        assertEquals(60, (Integer) counts.path("valid"));
        assertEquals(3, (Integer) counts.path("invalid"));
        assertEquals(2, (Integer) counts.path("plaintext_rejected"));
        assertEquals(List.of(63, 64, 65), counts.path("invalid_lines"));
        assertFalse(counts.asString().contains("jan@example.be"), "invalid rows are never echoed");

        upload("acme", id, emails(from + 60, 60)).then().statusCode(200);
        Response report = advertiser("acme").get("/v1/audiences/" + id);
        assertEquals(120, (Integer) report.path("matched"));
        assertEquals(123, (Integer) report.path("received"));
        assertEquals(2, (Integer) report.path("plaintext_rejected"));
    }

    @Test
    void gzipBodiesAreAccepted() throws Exception {
        int from = range(100);
        loadSubscribers(from, 100, i -> true, i -> false, i -> false);
        String id = createAudience("acme", "tv");
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(zipped)) {
            gz.write(emails(from, 100).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        advertiser("acme").contentType("text/plain").header("Content-Encoding", "gzip").body(zipped.toByteArray())
                .post("/v1/audiences/" + id + "/members").then().statusCode(200);
        assertEquals(100, matched("acme", id));
    }

    @Test
    void anotherAdvertisersAudienceDoesNotExistForYou() {
        String id = createAudience("acme", "tv");
        advertiser("globex").get("/v1/audiences/" + id).then().statusCode(404);
        upload("globex", id, emails(range(1), 1)).then().statusCode(404);
        advertiser("globex").delete("/v1/audiences/" + id).then().statusCode(404);
        List<String> theirs = advertiser("globex").get("/v1/audiences").then().statusCode(200).extract().path("id");
        assertFalse(theirs.contains(id));
        List<String> mine = advertiser("acme").get("/v1/audiences").then().statusCode(200).extract().path("id");
        assertTrue(mine.contains(id));

        advertiser("acme").delete("/v1/audiences/" + id).then().statusCode(204);
        advertiser("acme").get("/v1/audiences/" + id).then().statusCode(404);
    }

    @Test
    void creationChecksItsFields() {
        advertiser("acme").contentType(ContentType.JSON).body("{\"name\":\"x\",\"channel\":\"tv\",\"ttl_days\":541}")
                .post("/v1/audiences").then().statusCode(400);
        advertiser("acme").contentType(ContentType.JSON).body("{\"name\":\"x\",\"channel\":\"radio\"}")
                .post("/v1/audiences").then().statusCode(400);
        advertiser("acme").contentType(ContentType.JSON)
                .body("{\"name\":\"x\",\"channel\":\"tv\",\"identifier_type\":\"national_register_number\"}")
                .post("/v1/audiences").then().statusCode(400);
        Response created = advertiser("acme").contentType(ContentType.JSON)
                .body("{\"name\":\"x\",\"channel\":\"web\"}").post("/v1/audiences");
        created.then().statusCode(201);
        java.time.Instant expires = java.time.Instant.parse(created.path("expires_at"));
        long days = java.time.Duration.between(java.time.Instant.now(), expires).toDays();
        assertTrue(days >= 29 && days <= 30, "30 days by default");
    }
}
