package be.audiencematch.privacy;

import be.audiencematch.support.PrivacyDefaultsEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped privacy budget, as an honest advertiser and a greedy one meet it (docs/privacy.md, "Budget"). */
@QuarkusTest
@WithTestResource(PrivacyDefaultsEnvironment.class)
class PrivacyBudgetTest {

    private static String someone(String role) {
        return role + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Response report(String advertiser, String audience, String segments) {
        return segments == null ? advertiser(advertiser).get("/v1/audiences/" + audience)
                : advertiser(advertiser).queryParam("segments", segments).get("/v1/audiences/" + audience);
    }

    @Test
    void anHonestAdvertisersReportsWorkSayWhatTheyCostAndARepeatedQuestionIsFree() {
        int from = range(3_000);
        loadSubscribers(from, 3_000, i -> true, i -> false, i -> false);
        putSegment("budget-seg-a", "tv", emails(from, 3_000));
        putSegment("budget-seg-b", "tv", emails(from, 3_000));
        String acme = someone("honest");
        String audience = createAudience(acme, "tv");
        upload(acme, audience, emails(from, 2_500)).then().statusCode(200);

        Response first = report(acme, audience, "budget-seg-a,budget-seg-b");
        first.then().statusCode(200);
        assertEquals("discrete_laplace", first.path("noise"));
        assertEquals(0.5f, (Float) first.path("epsilon"));
        assertEquals(9.5f, (Float) first.path("budget_remaining"));
        assertEquals(true, first.path("fresh"));
        int matched = first.path("matched");
        // 2,500 matches with noise of scale 2, rounded down to 10: barely moved.
        assertTrue(Math.abs(matched - 2_500) <= 40, "a count in the thousands barely moves: " + matched);
        assertEquals(0, matched % 10);

        // The same question (segments reordered, repeated): the identical answer, at no cost.
        for (int again = 0; again < 5; again++) {
            Response repeated = report(acme, audience, "budget-seg-b,budget-seg-a,budget-seg-b");
            assertEquals(matched, (Integer) repeated.path("matched"));
            assertEquals(false, repeated.path("fresh"));
            assertEquals(9.5f, (Float) repeated.path("budget_remaining"));
        }
        Response budget = advertiser(acme).get("/v1/privacy/budget");
        budget.then().statusCode(200);
        assertEquals(0.5f, (Float) budget.path("epsilon_per_question"));
        assertEquals(10.0f, (Float) budget.path("budget"));
        assertEquals(0.5f, (Float) budget.path("spent"));
        assertEquals(9.5f, (Float) budget.path("remaining"));
        assertEquals(30, (Integer) budget.path("window_days"));
        Instant refill = Instant.parse(budget.path("next_refill_at"));
        assertTrue(refill.isAfter(Instant.now().plus(Duration.ofDays(29))), "the spending leaves the window in 30 days");
    }

    @Test
    void everyUploadMakesTheNextReportANewQuestionWhetherOrNotItMatched() {
        int from = range(300);
        loadSubscribers(from, 300, i -> true, i -> false, i -> false);
        String acme = someone("uploader");
        String audience = createAudience(acme, "tv");
        upload(acme, audience, emails(from, 200)).then().statusCode(200);
        assertEquals(true, report(acme, audience, null).path("fresh"));
        assertEquals(false, report(acme, audience, null).path("fresh"));
        // A digest that matches nobody stores nothing, yet the question is new: a version that moved only with the
        // stored members would tell the asker that its last row did not match.
        upload(acme, audience, "00".repeat(32) + "\n").then().statusCode(200);
        Response after = report(acme, audience, null);
        assertEquals(true, after.path("fresh"));
        assertEquals(9.0f, (Float) after.path("budget_remaining"));
    }

    @Test
    void aSpentBudgetAnswers429WithRetryAfterAndNeitherFreshAudiencesNorCampaignsGetAroundIt() {
        int from = range(300);
        loadSubscribers(from, 300, i -> true, i -> false, i -> false);
        String greedy = someone("greedy");
        String first = createAudience(greedy, "tv");
        upload(greedy, first, emails(from, 250)).then().statusCode(200);
        Integer firstAnswer = report(greedy, first, null).path("matched");
        // 10 of ε at 0.5 a question: 20 fresh answers a month, the first one above.
        for (int i = 1; i < 20; i++) {
            String audience = createAudience(greedy, "tv");
            upload(greedy, audience, emails(from, 250)).then().statusCode(200);
            report(greedy, audience, null).then().statusCode(200).body("fresh", org.hamcrest.Matchers.is(true));
            advertiser(greedy).delete("/v1/audiences/" + audience).then().statusCode(204);
        }
        String fresh = createAudience(greedy, "tv");
        upload(greedy, fresh, emails(from, 250)).then().statusCode(200);
        Response refused = report(greedy, fresh, null);
        assertProblem(refused, 429, "privacy budget");
        long retryAfter = Long.parseLong(refused.header("Retry-After"));
        assertTrue(retryAfter > Duration.ofDays(29).toSeconds(), "refills as the first spending leaves the window");
        assertFalse(refused.asString().contains("matched"), "no count in a refusal");

        // A campaign's reach is a question too.
        String campaign = advertiser(greedy).contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + first + "\",\"starts_at\":\"2026-01-01T00:00:00Z\","
                        + "\"ends_at\":\"2030-01-01T00:00:00Z\"}")
                .post("/v1/campaigns").then().statusCode(201).extract().path("id");
        assertProblem(advertiser(greedy).get("/v1/campaigns/" + campaign), 429, "privacy budget");

        // What was asked before is answered again at no cost.
        Response repeated = report(greedy, first, null);
        assertEquals(200, repeated.statusCode());
        assertEquals(firstAnswer, repeated.path("matched"));
        assertEquals(0.0f, (Float) repeated.path("budget_remaining"));

        Response budget = advertiser(greedy).get("/v1/privacy/budget");
        assertEquals(0.0f, (Float) budget.path("remaining"));
        assertNotNull(budget.path("next_refill_at"));

        // The budget is the advertiser's: another one is untouched.
        String other = someone("other");
        String theirs = createAudience(other, "tv");
        upload(other, theirs, emails(from, 250)).then().statusCode(200);
        assertEquals(9.5f, (Float) report(other, theirs, null).path("budget_remaining"));
    }

    @Test
    void campaignReachCarriesNoiseAndIsFreeWhenAskedAgain() {
        int from = range(400);
        loadSubscribers(from, 400, i -> true, i -> false, i -> false);
        String acme = someone("reach");
        String audience = createAudience(acme, "tv");
        upload(acme, audience, emails(from, 400)).then().statusCode(200);
        String campaign = advertiser(acme).contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + audience + "\",\"starts_at\":\"2026-01-01T00:00:00Z\","
                        + "\"ends_at\":\"2030-01-01T00:00:00Z\"}")
                .post("/v1/campaigns").then().statusCode(201).extract().path("id");
        Response reach = advertiser(acme).get("/v1/campaigns/" + campaign);
        assertEquals("discrete_laplace", reach.path("reach.noise"));
        assertEquals(true, reach.path("reach.fresh"));
        Integer households = reach.path("reach.households");
        Response again = advertiser(acme).get("/v1/campaigns/" + campaign);
        assertEquals(households, again.path("reach.households"));
        assertEquals(false, again.path("reach.fresh"));
    }

    @Test
    void liveAudiencesAndCampaignsPerAdvertiserAreCapped() {
        String hoarder = someone("hoarder");
        String audience = null;
        for (int i = 0; i < 100; i++) {
            audience = createAudience(hoarder, "tv");
        }
        Response over = advertiser(hoarder).contentType(ContentType.JSON)
                .body("{\"name\":\"one more\",\"identifier_type\":\"email_sha256\",\"channel\":\"tv\"}")
                .post("/v1/audiences");
        assertProblem(over, 409, "at most 100 live audiences");
        advertiser(hoarder).delete("/v1/audiences/" + audience).then().statusCode(204);
        String kept = createAudience(hoarder, "tv");

        String campaign = "{\"audience_id\":\"" + kept + "\",\"starts_at\":\"2026-01-01T00:00:00Z\","
                + "\"ends_at\":\"2030-01-01T00:00:00Z\"}";
        for (int i = 0; i < 100; i++) {
            advertiser(hoarder).contentType(ContentType.JSON).body(campaign).post("/v1/campaigns").then()
                    .statusCode(201);
        }
        assertProblem(advertiser(hoarder).contentType(ContentType.JSON).body(campaign).post("/v1/campaigns"), 409,
                "at most 100 live campaigns");
    }
}
