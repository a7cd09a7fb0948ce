package be.audiencematch.audit;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.subscriberJson;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestResource(TestEnvironment.class)
class AuditTrailTest {

    @Inject
    AuditLog log;

    /** Every entry from {@code from} on, paging through with the cursor. */
    static List<Map<String, String>> entries(Instant from, String kind) {
        List<Map<String, String>> all = new ArrayList<>();
        String cursor = null;
        do {
            var request = as("dpo", "privacy-office").queryParam("from", from.toString()).queryParam("limit", 1000);
            if (kind != null) {
                request = request.queryParam("kind", kind);
            }
            if (cursor != null) {
                request = request.queryParam("cursor", cursor);
            }
            Response page = request.get("/v1/audit");
            page.then().statusCode(200);
            all.addAll(page.path("entries"));
            cursor = page.path("next_cursor");
        } while (cursor != null);
        return all;
    }

    private static Instant redisNow() {
        try (Inspector redis = new Inspector()) {
            return Instant.ofEpochMilli(redis.redisTimeMillis());
        }
    }

    private static Map<String, String> only(List<Map<String, String>> entries, String kind, String field, String value) {
        List<Map<String, String>> found = entries.stream()
                .filter(e -> kind.equals(e.get("kind")) && value.equals(e.get(field))).toList();
        assertEquals(1, found.size(), () -> kind + " with " + field + "=" + value + " in " + entries);
        return found.get(0);
    }

    @Test
    void everyKindOfChangeIsAuditedWithNumbersAndCountsNeverIdentifiers() {
        Instant from = redisNow();
        int first = range(4);
        String id = SyntheticBase.subscriberId(first);
        feed().contentType(ContentType.JSON).body(subscriberJson(first, true, true, true, false))
                .put("/v1/subscribers/" + id).then().statusCode(201);
        feed().contentType(ContentType.JSON).body(subscriberJson(first, true, false, true, false))
                .put("/v1/subscribers/" + id).then().statusCode(200);
        feed().contentType(ContentType.JSON).body("{\"ads_and_data\":false}")
                .patch("/v1/subscribers/" + id + "/consents").then().statusCode(204);
        loadSubscribers(first + 1, 3, i -> true, i -> false, i -> true);
        // Sent again with tv withdrawn for one of them: that one change is audited, the unchanged ones are not.
        loadSubscribers(first + 1, 3, i -> i != first + 2, i -> false, i -> true);
        String audience = createAudience("acme-audit", "tv");
        upload("acme-audit", audience, emails(first, 4) + "not-a-digest\n").then().statusCode(200);
        Instant starts = Instant.now();
        String campaign = advertiser("acme-audit").contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + audience + "\",\"segments\":[],\"starts_at\":\"" + starts
                        + "\",\"ends_at\":\"" + starts.plusSeconds(3600) + "\"}")
                .post("/v1/campaigns").then().statusCode(201).extract().path("id");
        advertiser("acme-audit").delete("/v1/campaigns/" + campaign).then().statusCode(204);
        advertiser("acme-audit").delete("/v1/audiences/" + audience).then().statusCode(204);
        long number;
        long reloaded;
        try (Inspector redis = new Inspector()) {
            number = redis.numberOf(first);
            reloaded = redis.numberOf(first + 2);
        }
        feed().delete("/v1/subscribers/" + id).then().statusCode(204);

        List<Map<String, String>> entries = entries(from, null);
        String n = Long.toString(number);
        Map<String, String> created = only(entries, "subscriber.created", "n", n);
        assertEquals("111", created.get("consents"));
        only(entries, "subscriber.replaced", "n", n);
        List<Map<String, String>> consents = entries.stream()
                .filter(e -> "subscriber.consents".equals(e.get("kind")) && n.equals(e.get("n"))).toList();
        assertEquals(2, consents.size(), consents::toString);
        assertEquals("web", consents.get(0).get("withdrawn"), "the replacement withdrew web");
        assertEquals("ads_and_data", consents.get(1).get("withdrawn"), "the PATCH withdrew ads_and_data");
        assertEquals("", consents.get(1).get("granted"));
        only(entries, "subscriber.erased", "n", n);
        Map<String, String> bulkChange = only(entries, "subscriber.consents", "n", Long.toString(reloaded));
        assertEquals("tv", bulkChange.get("withdrawn"));
        assertEquals(1, entries.stream().filter(e -> "subscriber.consents".equals(e.get("kind"))
                && e.get("n").matches("[0-9]+") && Long.parseLong(e.get("n")) != number).count(),
                "only the bulk line whose consents changed is audited one by one");
        assertEquals(2, entries.stream().filter(e -> "bulk.loaded".equals(e.get("kind"))
                && "3".equals(e.get("accepted"))).count());
        only(entries, "audience.created", "audience", audience);
        Map<String, String> uploaded = only(entries, "audience.uploaded", "audience", audience);
        assertEquals("5", uploaded.get("received"));
        assertEquals("4", uploaded.get("valid"));
        assertEquals("1", uploaded.get("invalid"));
        assertEquals("acme-audit", uploaded.get("advertiser"));
        only(entries, "audience.deleted", "audience", audience);
        only(entries, "campaign.created", "campaign", campaign);
        only(entries, "campaign.deleted", "campaign", campaign);
        for (Map<String, String> e : entries) {
            Instant at = Instant.parse(e.get("at"));
            assertFalse(at.isBefore(from), "at is Redis' clock, as the entry id");
            assertEquals(Long.parseLong(e.get("id").split("-")[0]), at.toEpochMilli(), 5);
        }
        assertHoldsNoPersonalData(entries, first, 4);
    }

    /** The attack: look for anything that identifies a person in what the DPO (or anyone reading Redis) sees. */
    static void assertHoldsNoPersonalData(List<Map<String, String>> entries, int first, int count) {
        Set<String> secrets = new HashSet<>();
        for (int i = first; i < first + count; i++) {
            secrets.add(SyntheticBase.subscriberId(i));
            secrets.add(SyntheticBase.emailHash(i));
            secrets.add(SyntheticBase.phoneHash(i));
            secrets.add("hh-" + (i / 2));
        }
        for (Map<String, String> entry : entries) {
            for (String value : entry.values()) {
                for (String secret : secrets) {
                    assertFalse(value.toLowerCase().contains(secret.toLowerCase()),
                            "an audit entry of kind " + entry.get("kind") + " holds a personal identifier");
                }
                assertFalse(value.matches("(?i).*[0-9a-f]{64}.*"), "an audit entry holds a digest");
                assertFalse(value.startsWith("ey"), "an audit entry holds a token");
            }
        }
    }

    @Test
    void kindFilterAndCursorPageThroughEveryEntryOnce() {
        Instant from = redisNow();
        List<String> audiences = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            audiences.add(createAudience("acme-pages", "web"));
            feed().delete("/v1/subscribers/nobody-" + i).then().statusCode(204);
        }
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var request = as("dpo", "privacy-office").queryParam("from", from.toString())
                    .queryParam("kind", "audience.created").queryParam("limit", 2);
            if (cursor != null) {
                request = request.queryParam("cursor", cursor);
            }
            Response page = request.get("/v1/audit");
            page.then().statusCode(200);
            List<Map<String, String>> entries = page.path("entries");
            assertTrue(entries.size() <= 2);
            entries.forEach(e -> {
                assertEquals("audience.created", e.get("kind"));
                seen.add(e.get("audience"));
            });
            cursor = page.path("next_cursor");
            pages++;
        } while (cursor != null && pages < 10);
        assertEquals(audiences, seen, "oldest first, each once");
        assertTrue(pages >= 3);

        Instant later = redisNow().plusSeconds(1);
        Response none = as("dpo", "privacy-office").queryParam("from", later.toString()).get("/v1/audit");
        none.then().statusCode(200);
        assertEquals(List.of(), none.path("entries"));
        assertNull(none.path("next_cursor"));
        Response before = as("dpo", "privacy-office").queryParam("from", from.toString())
                .queryParam("to", from.plusMillis(1).toString()).queryParam("kind", "audience.created").get("/v1/audit");
        assertFalse(before.<List<Map<String, String>>>path("entries").stream()
                .anyMatch(e -> audiences.contains(e.get("audience"))), "'to' is exclusive and bounds the range");
    }

    @Test
    void badParametersAreProblemsNamingTheParameter() {
        for (String[] bad : new String[][] {{"limit", "0"}, {"limit", "1001"}, {"limit", "ten"}, {"from", "yesterday"},
            {"to", "2026-13-01T00:00:00Z"}, {"kind", "everything"}, {"cursor", "abc"}}) {
            assertProblem(as("dpo", "privacy-office").queryParam(bad[0], bad[1]).get("/v1/audit"), 400,
                    "'" + bad[0] + "'");
        }
        assertProblem(as("dpo", "privacy-office").queryParam("from", "2026-01-02T00:00:00Z")
                .queryParam("to", "2026-01-01T00:00:00Z").get("/v1/audit"), 400, "'to'");
    }

    @Test
    void onlyTheDpoReadsTheAuditTrail() {
        for (String role : List.of("advertiser", "subscriber-feed", "adserver", "adsdata", "auditor")) {
            assertProblem(as(role, "x").get("/v1/audit"), 403, null);
        }
        assertEquals(401, io.restassured.RestAssured.given().get("/v1/audit").statusCode());
    }

    @Test
    void entriesOlderThanTheCutoffAreTrimmedAndNewerOnesKept() {
        String old = createAudience("acme-trim", "tv");
        Map<String, String> oldEntry = only(entries(Instant.EPOCH, "audience.created"), "audience.created", "audience", old);
        Instant cutoff = Instant.parse(oldEntry.get("at")).plusMillis(1);
        String recent;
        do {
            // An entry in a later millisecond than the cutoff (Redis' clock moves on by itself: no sleep).
            recent = createAudience("acme-trim", "tv");
        } while (!Instant.parse(only(entries(Instant.EPOCH, "audience.created"), "audience.created", "audience",
                recent).get("at")).isAfter(cutoff));
        long removed = log.trimBefore(cutoff).await().indefinitely();
        assertTrue(removed >= 1);
        List<Map<String, String>> left = entries(Instant.EPOCH, null);
        String kept = recent;
        assertFalse(left.stream().anyMatch(e -> old.equals(e.get("audience"))), "the old entry is gone");
        assertTrue(left.stream().anyMatch(e -> kept.equals(e.get("audience"))), "the newer entry is kept");
        assertTrue(left.stream().allMatch(e -> !Instant.parse(e.get("at")).isBefore(cutoff)));
        assertEquals(java.time.Duration.ofDays(396), log.retention(), "13 months by default");
    }
}
