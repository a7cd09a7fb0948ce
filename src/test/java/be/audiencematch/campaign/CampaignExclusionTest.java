package be.audiencematch.campaign;

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
import java.util.stream.IntStream;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Campaigns that exclude audiences (existing customers, say): the replica's view, the Redis script and the reach all
 * leave the excluded members out, and follow the excluded audience as it changes (exact counts: privacy off).
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class CampaignExclusionTest {

    @Inject
    CampaignStore campaigns;

    private static Response create(String advertiser, String audience, String excluded) {
        return advertiser(advertiser).contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + audience + "\",\"exclude_audience_ids\":[\"" + excluded + "\"],"
                        + "\"starts_at\":\"" + Instant.now().minus(Duration.ofHours(1)) + "\",\"ends_at\":\""
                        + Instant.now().plus(Duration.ofDays(7)) + "\"}")
                .post("/v1/campaigns");
    }

    private static List<String> eligible(String household, String campaign) {
        return as("adserver", "pickx").contentType(ContentType.JSON)
                .body("{\"household_id\":\"" + household + "\",\"campaign_ids\":[\"" + campaign + "\"]}")
                .post("/v1/eligibility").then().statusCode(200).extract().path("eligible");
    }

    /** The view's answer, and the same question through the Redis script: both must agree. */
    private List<String> both(int subscriber, String campaign) {
        String household = "hh-" + (subscriber / 2);
        List<String> view = eligible(household, campaign);
        List<String> script = campaigns.eligible(household, List.of(campaign), Instant.now()).await().indefinitely();
        assertEquals(view, script, "the view and the script disagree");
        return view;
    }

    private static long households(int from, int to) {
        return IntStream.range(from, to).map(i -> i / 2).distinct().count();
    }

    @Test
    void excludedMembersAreNeverTargetedAndTheExclusionFollowsItsAudience() {
        int from = range(400) / 2 * 2 + 2;
        loadSubscribers(from, 400, i -> true, i -> false, i -> false);
        String all = createAudience("excluder", "tv");
        upload("excluder", all, emails(from, 400)).then().statusCode(200);
        String customers = createAudience("excluder", "tv");
        upload("excluder", customers, emails(from, 100)).then().statusCode(200);
        Response created = create("excluder", all, customers);
        created.then().statusCode(201);
        assertEquals(List.of(customers), created.path("exclude_audience_ids"));
        String campaign = created.path("id");

        assertEquals(List.of(), both(from, campaign), "an existing customer's household");
        assertEquals(List.of(campaign), both(from + 398, campaign));
        long reach = households(from + 100, from + 400) / 10 * 10;
        assertEquals(reach, ((Integer) advertiser("excluder").get("/v1/campaigns/" + campaign)
                .path("reach.households")).longValue());

        // More customers: excluded at the very next answer, on every path.
        upload("excluder", customers, emails(from + 100, 100)).then().statusCode(200);
        assertEquals(List.of(), both(from + 150, campaign));
        assertEquals(households(from + 200, from + 400) / 10 * 10, ((Integer) advertiser("excluder")
                .get("/v1/campaigns/" + campaign).path("reach.households")).longValue());

        // An excluded audience deleted excludes nobody any more.
        advertiser("excluder").delete("/v1/audiences/" + customers).then().statusCode(204);
        assertEquals(List.of(campaign), both(from, campaign));
    }

    @Test
    void onlyAnotherOfYourOwnAudiencesCanBeExcluded() {
        String mine = createAudience("excluder", "tv");
        String theirs = createAudience("someone-else", "tv");
        assertProblem(create("excluder", mine, theirs), 400, "exclude_audience_ids[0]");
        assertProblem(create("excluder", mine, mine), 400, "exclude_audience_ids[0]");
    }
}
