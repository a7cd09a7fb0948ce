package be.audiencematch.access;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestResource(TestEnvironment.class)
class RightOfAccessTest {

    private static Response access(String subscriberId) {
        return as("dpo", "privacy-office").get("/v1/dpo/subscribers/" + subscriberId);
    }

    private static Instant redisNow() {
        try (Inspector redis = new Inspector()) {
            return Instant.ofEpochMilli(redis.redisTimeMillis());
        }
    }

    @Test
    void answersWhatIsHeldOnAPersonWithoutIdentifierValues() {
        Instant loaded = redisNow().minusSeconds(1);
        int first = range(3);
        loadSubscribers(first, 3, i -> true, i -> i != first, i -> true);
        String segment = "access-" + first;
        putSegment(segment, "tv", emails(first, 3));
        putSegment("other-" + first, "tv", emails(first + 1, 2));
        String audience = createAudience("acme-access", "tv");
        upload("acme-access", audience, emails(first, 3)).then().statusCode(200);
        createAudience("acme-access", "tv");
        Instant starts = Instant.now();
        advertiser("acme-access").contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + audience + "\",\"segments\":[],\"starts_at\":\"" + starts
                        + "\",\"ends_at\":\"" + starts.plusSeconds(3600) + "\"}")
                .post("/v1/campaigns").then().statusCode(201);
        as("adsdata", "ads-and-data").get("/v1/exports/ads-and-data/segments/" + segment).then().statusCode(200);

        String id = SyntheticBase.subscriberId(first);
        Response held = access(id);
        held.then().statusCode(200);
        assertEquals(id, held.path("subscriber_id"));
        assertEquals(List.of("email_sha256", "phone_sha256"), held.path("identifier_types"));
        assertEquals("hh-" + (first / 2), held.path("household_id"));
        assertEquals(true, held.path("consents.tv.granted"));
        assertEquals(false, held.path("consents.web.granted"));
        assertEquals(true, held.path("consents.ads_and_data.granted"));
        Instant tvChanged = Instant.parse(held.path("consents.tv.changed_at"));
        assertFalse(tvChanged.isBefore(loaded.minusSeconds(1)), "created counts as the first change");
        assertEquals(List.of(segment), held.path("segments"));
        assertEquals(1, (Integer) held.path("audiences"));
        assertEquals(1, (Integer) held.path("campaigns"));
        List<Map<String, String>> exports = held.path("exports");
        assertEquals(1, exports.size());
        assertEquals(segment, exports.get(0).get("segment"));
        assertNotNull(exports.get(0).get("key_version"));
        assertNotNull(Instant.parse(exports.get(0).get("exported_at")));
        String body = held.asString();
        assertFalse(body.contains(SyntheticBase.emailHash(first)), "identifier values are never shown");
        assertFalse(body.contains(SyntheticBase.phoneHash(first)));
    }

    @Test
    void aWithdrawalShowsInTheAuditWithItsTimeAndInChangedAt() {
        int first = range(1);
        loadSubscribers(first, 1, i -> true, i -> true, i -> true);
        String id = SyntheticBase.subscriberId(first);
        String webBefore = access(id).path("consents.web.changed_at");
        Instant from = redisNow();
        feed().contentType(ContentType.JSON).body("{\"tv\":false}").patch("/v1/subscribers/" + id + "/consents")
                .then().statusCode(204);

        long number;
        try (Inspector redis = new Inspector()) {
            number = redis.numberOf(first);
        }
        List<Map<String, String>> entries = as("dpo", "privacy-office").queryParam("from", from.toString())
                .queryParam("kind", "subscriber.consents").get("/v1/audit").then().statusCode(200)
                .extract().path("entries");
        Map<String, String> withdrawal = entries.stream().filter(e -> Long.toString(number).equals(e.get("n")))
                .findFirst().orElseThrow();
        assertEquals("tv", withdrawal.get("withdrawn"));
        Instant tookEffect = Instant.parse(withdrawal.get("at"));

        Response held = access(id);
        assertEquals(false, held.path("consents.tv.granted"));
        assertEquals(tookEffect.getEpochSecond(), Instant.parse(held.path("consents.tv.changed_at")).getEpochSecond(),
                "the access answer and the audit tell the same time");
        assertEquals(webBefore, held.path("consents.web.changed_at"), "an unchanged purpose keeps its time");
    }

    @Test
    void unknownAndErasedSubscribersAre404AndOnlyTheDpoMayAsk() {
        int first = range(1);
        loadSubscribers(first, 1, i -> true, i -> true, i -> true);
        String id = SyntheticBase.subscriberId(first);
        for (String role : List.of("advertiser", "subscriber-feed", "adserver", "adsdata", "auditor")) {
            assertProblem(as(role, "x").get("/v1/dpo/subscribers/" + id), 403, null);
        }
        access(id).then().statusCode(200);
        feed().delete("/v1/subscribers/" + id).then().statusCode(204);
        assertProblem(access(id), 404, "no subscriber");
        assertProblem(access("never-seen-" + first), 404, "no subscriber");
        Response bad = access("bad%20id");
        assertProblem(bad, 400, "subscriberId");
        assertFalse(bad.asString().contains("bad id"), "the value is never echoed");
        try (Inspector redis = new Inspector()) {
            assertTrue(redis.numberOf(first) < 0);
        }
    }
}
