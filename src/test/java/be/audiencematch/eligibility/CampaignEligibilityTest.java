package be.audiencematch.eligibility;

import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.changes.ChangeLog;
import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestResource(TestEnvironment.class)
class CampaignEligibilityTest {

    @Inject
    CampaignStore campaigns;

    @Inject
    ChangeLog changes;

    private static String campaign(String owner, String audience, List<String> segments, Instant starts, Instant ends) {
        String body = "{\"audience_id\":\"" + audience + "\",\"segments\":" + (segments == null ? "[]"
                : "[" + String.join(",", segments.stream().map(s -> "\"" + s + "\"").toList()) + "]")
                + ",\"starts_at\":\"" + starts + "\",\"ends_at\":\"" + ends + "\"}";
        return advertiser(owner).contentType(ContentType.JSON).body(body).post("/v1/campaigns")
                .then().statusCode(201).extract().path("id");
    }

    private static String active(String owner, String audience, List<String> segments) {
        return campaign(owner, audience, segments, Instant.now().minus(Duration.ofHours(1)),
                Instant.now().plus(Duration.ofDays(7)));
    }

    private static List<String> eligible(String household, String... campaigns) {
        String ids = String.join(",", java.util.Arrays.stream(campaigns).map(c -> "\"" + c + "\"").toList());
        return as("adserver", "pickx").contentType(ContentType.JSON)
                .body("{\"household_id\":\"" + household + "\",\"campaign_ids\":[" + ids + "]}")
                .post("/v1/eligibility").then().statusCode(200).extract().path("eligible");
    }

    private static String household(int index) {
        return "hh-" + (index / 2);
    }

    private static void consent(int index, String purpose, boolean allowed) {
        feed().contentType(ContentType.JSON).body("{\"" + purpose + "\":" + allowed + "}")
                .patch("/v1/subscribers/" + SyntheticBase.subscriberId(index) + "/consents").then().statusCode(204);
    }

    @Test
    void aHouseholdIsEligibleOnlyWhenAMemberIsTargetedAndConsentsToTvNow() {
        int from = range(40);
        int start = from % 2 == 0 ? from : from + 1;
        loadSubscribers(start, 20, i -> true, i -> true, i -> false);
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(start, 10)).then().statusCode(200);      // members start..start+9
        String football = "elig-football-" + start;
        putSegment(football, "tv", emails(start, 4));                            // start..start+3
        String all = active("acme", audience, null);
        String fans = active("acme", audience, List.of(football));

        assertEquals(List.of(all, fans), eligible(household(start), all, fans, "cmp_unknown"));
        assertEquals(List.of(all), eligible(household(start + 4), all, fans), "not in the segment");
        assertEquals(List.of(), eligible(household(start + 12), all, fans), "not on the list");
        assertEquals(List.of(), eligible("hh-nobody-" + start, all, fans), "unknown household: simply not eligible");

        // Both members of the household withdraw TV consent: the very next answer says no.
        consent(start, "tv", false);
        assertEquals(List.of(all, fans), eligible(household(start), all, fans), "one member still consents");
        consent(start + 1, "tv", false);
        assertEquals(List.of(), eligible(household(start), all, fans));

        // An erasure and a deletion are reflected at once too.
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(start + 6)).then().statusCode(204);
        assertEquals(List.of(all), eligible(household(start + 6), all), "the other member remains");
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(start + 7)).then().statusCode(204);
        assertEquals(List.of(), eligible(household(start + 6), all));
        advertiser("acme").delete("/v1/campaigns/" + all).then().statusCode(204);
        assertEquals(List.of(), eligible(household(start + 2), all));
        assertEquals(List.of(fans), eligible(household(start + 2), all, fans));

        List<String> every = as("adserver", "pickx").get("/v1/eligibility/" + household(start + 2))
                .then().statusCode(200).extract().path("eligible");
        assertEquals(List.of(fans), every);
    }

    @Test
    void aLargeHouseholdIsEligibleThroughAnyMemberAndAWebCampaignNeedsWebAndTvConsent() {
        int start = range(40);
        String big = "hh-big-" + start;
        // 35 members who consent to TV, more than one mask holds (30); only the 33rd consents to web too.
        for (int i = 0; i < 35; i++) {
            boolean target = i == 32;
            feed().contentType(ContentType.JSON).body("{\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\""
                    + SyntheticBase.emailHash(start + i) + "\"}],\"household_id\":\"" + big + "\",\"consents\":{\"tv\":"
                    + "true,\"web\":" + target + "}}")
                    .put("/v1/subscribers/" + SyntheticBase.subscriberId(start + i)).then().statusCode(201);
        }
        String tvAudience = createAudience("acme", "tv");
        String webAudience = createAudience("acme", "web");
        upload("acme", tvAudience, emails(start + 32, 1)).then().statusCode(200);
        upload("acme", webAudience, emails(start, 35)).then().statusCode(200);
        String onTv = active("acme", tvAudience, null);
        String onWeb = active("acme", webAudience, null);
        assertEquals(List.of(onTv, onWeb), eligible(big, onTv, onWeb));

        consent(start + 32, "web", false);
        assertEquals(List.of(onTv), eligible(big, onTv, onWeb), "the web campaign needs web consent now");
        consent(start + 32, "web", true);
        consent(start + 32, "tv", false);
        assertEquals(List.of(), eligible(big, onTv, onWeb), "the members who still consent to tv are in neither audience");
    }

    @Test
    void aCampaignStoredBeforeRulesExistedGetsItsRuleBackAndADeletedOneDoesNot() {
        int from = range(4);
        int start = from % 2 == 0 ? from : from + 1;
        loadSubscribers(start, 2, i -> true, i -> false, i -> false);
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(start, 2)).then().statusCode(200);
        String kept = active("acme", audience, null);
        String deleted = active("acme", audience, null);
        try (Inspector redis = new Inspector()) {
            redis.forgetCampaignRule(kept);
            redis.forgetCampaignRule(deleted);
            changes.settled().await().atMost(Duration.ofSeconds(10));
            assertEquals(List.of(), eligible(household(start), kept, deleted), "without a rule: not eligible");
            advertiser("acme").delete("/v1/campaigns/" + deleted).then().statusCode(204);
            assertTrue(campaigns.backfillRules().await().atMost(Duration.ofSeconds(10)) >= 1);
            changes.settled().await().atMost(Duration.ofSeconds(10));
            assertTrue(redis.hasCampaignRule(kept));
            assertTrue(!redis.hasCampaignRule(deleted), "a deleted campaign stays deleted");
        }
        assertEquals(List.of(kept), eligible(household(start), kept, deleted));
    }

    @Test
    void aWithdrawalIsNeverMissedByTheNextAnswer() {
        int from = range(4);
        int start = from % 2 == 0 ? from : from + 1;
        loadSubscribers(start, 1, i -> true, i -> false, i -> false);           // a household of one
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(start, 1)).then().statusCode(200);
        String campaign = active("acme", audience, null);
        int stale = 0;
        for (int round = 0; round < 200; round++) {
            boolean allowed = round % 2 == 1;
            consent(start, "tv", allowed);
            if (eligible(household(start), campaign).isEmpty() == allowed) {
                stale++;
            }
        }
        assertEquals(0, stale, "answers after an acknowledged change that did not reflect it");
    }

    @Test
    void campaignsCheckTheirAudienceSegmentsAndWindow() {
        int from = range(2);
        loadSubscribers(from, 2, i -> true, i -> true, i -> false);
        String tvAudience = createAudience("acme", "tv");
        String webSegment = "elig-web-" + from;
        putSegment(webSegment, "web", emails(from, 2));
        Instant now = Instant.now();
        String body = "{\"audience_id\":\"%s\",\"segments\":%s,\"starts_at\":\"%s\",\"ends_at\":\"%s\"}";

        assertProblem(advertiser("globex").contentType(ContentType.JSON)
                .body(String.format(body, tvAudience, "[]", now, now.plusSeconds(60))).post("/v1/campaigns"),
                400, "audience_id");
        assertProblem(advertiser("acme").contentType(ContentType.JSON)
                .body(String.format(body, tvAudience, "[\"" + webSegment + "\"]", now, now.plusSeconds(60)))
                .post("/v1/campaigns"), 400, "segments[0]");
        assertProblem(advertiser("acme").contentType(ContentType.JSON)
                .body(String.format(body, tvAudience, "[]", now, now.minusSeconds(60))).post("/v1/campaigns"),
                400, "ends_at");
        assertProblem(advertiser("acme").contentType(ContentType.JSON)
                .body(String.format(body, tvAudience, "[]", "tomorrow", now)).post("/v1/campaigns"), 400, "starts_at");

        String later = campaign("acme", tvAudience, null, now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(400)));
        Response scheduled = advertiser("acme").get("/v1/campaigns/" + later);
        assertEquals("scheduled", scheduled.path("status"));
        Instant ends = Instant.parse(scheduled.path("ends_at"));
        assertTrue(!ends.isAfter(now.plus(Duration.ofDays(31))), "ends no later than the audience (30 days)");
        String past = campaign("acme", tvAudience, null, now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
        assertEquals("ended", advertiser("acme").get("/v1/campaigns/" + past).path("status"));
        assertEquals(List.of(), eligible(household(from), later, past), "neither is active");

        advertiser("globex").get("/v1/campaigns/" + later).then().statusCode(404);
        advertiser("globex").delete("/v1/campaigns/" + later).then().statusCode(404);
        List<String> mine = advertiser("acme").get("/v1/campaigns").then().statusCode(200).extract().path("id");
        assertTrue(mine.containsAll(List.of(later, past)));
        assertProblem(as("advertiser", "acme").contentType(ContentType.JSON)
                .body("{\"household_id\":\"hh-1\",\"campaign_ids\":[\"x\"]}").post("/v1/eligibility"), 403, null);
        assertProblem(as("adserver", "pickx").get("/v1/campaigns"), 403, null);
        assertProblem(as("adserver", "pickx").contentType(ContentType.JSON)
                .body("{\"household_id\":\"hh-1\",\"campaign_ids\":[]}").post("/v1/eligibility"), 400, "campaign_ids");
    }

    @Test
    void reachCountsHouseholdsNotPeopleUnderTheThreshold() {
        int from = range(400);
        int start = from % 2 == 0 ? from : from + 1;
        loadSubscribers(start, 300, i -> true, i -> false, i -> false);         // 150 households of two
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(start, 300)).then().statusCode(200);
        String campaign = active("acme", audience, null);
        Response view = advertiser("acme").get("/v1/campaigns/" + campaign);
        assertEquals("active", view.path("status"));
        assertEquals(150, (Integer) view.path("reach.households"));
        assertEquals(false, view.path("reach.below_threshold"));

        String small = createAudience("acme", "tv");
        upload("acme", small, emails(start, 10)).then().statusCode(200);
        Response suppressed = advertiser("acme").get("/v1/campaigns/" + active("acme", small, null));
        assertNull(suppressed.path("reach.households"));
        assertEquals(true, suppressed.path("reach.below_threshold"));
    }
}
