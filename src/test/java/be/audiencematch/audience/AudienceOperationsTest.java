package be.audiencematch.audience;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.matched;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Removing members (an opt-out list) and replacing them all, with exact counts (differential privacy off). */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class AudienceOperationsTest {

    private static Response send(String method, String advertiser, String path, String body) {
        var request = advertiser(advertiser).urlEncodingEnabled(false).contentType("text/plain")
                .body(body.getBytes(StandardCharsets.UTF_8));
        return switch (method) {
            case "PUT" -> request.put(path);
            case "DELETE" -> request.delete(path);
            default -> request.post(path);
        };
    }

    private static List<String> eligible(String household, String campaign) {
        return as("adserver", "pickx").contentType(ContentType.JSON)
                .body("{\"household_id\":\"" + household + "\",\"campaign_ids\":[\"" + campaign + "\"]}")
                .post("/v1/eligibility").then().statusCode(200).extract().path("eligible");
    }

    @Test
    void anOptOutListLeavesTheAudienceAndItsCampaignsWhileTheCampaignStays() {
        int from = range(400);
        loadSubscribers(from, 400, i -> true, i -> false, i -> false);
        String audience = createAudience("ops", "tv");
        upload("ops", audience, emails(from, 400)).then().statusCode(200);
        String campaign = advertiser("ops").contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + audience + "\",\"starts_at\":\"" + Instant.now().minus(Duration.ofHours(1))
                        + "\",\"ends_at\":\"" + Instant.now().plus(Duration.ofDays(7)) + "\"}")
                .post("/v1/campaigns").then().statusCode(201).extract().path("id");
        assertEquals(List.of(campaign), eligible("hh-" + (from / 2), campaign));

        // The first 100 customers opt out: the lowest subscriber numbers, so the removal's bitmap is shorter than
        // the members' (members past its end must stay).
        Response removed = send("POST", "ops", "/v1/audiences/" + audience + "/members:remove",
                emails(from, 100) + "not-a-digest\n");
        assertEquals(200, removed.statusCode(), removed::asString);
        assertEquals(101, (Integer) removed.path("received"));
        assertEquals(1, (Integer) removed.path("invalid"));
        assertFalse(removed.asString().contains("matched") || removed.asString().contains("removed"),
                "a removal never says how many it removed");
        assertEquals(300, matched("ops", audience));
        assertEquals(List.of(), eligible("hh-" + (from / 2), campaign), "opted out: no longer targeted");
        assertEquals(List.of(campaign), eligible("hh-" + ((from + 398) / 2), campaign), "the others still are");
        advertiser("ops").get("/v1/campaigns/" + campaign).then().statusCode(200);

        // Removing what is not there changes nothing.
        send("DELETE", "ops", "/v1/audiences/" + audience + "/members", emails(from, 50)).then().statusCode(200);
        assertEquals(300, matched("ops", audience));
    }

    @Test
    void aReplacementSwapsTheWholeListAndItsCounts() {
        int from = range(400);
        loadSubscribers(from, 400, i -> i % 4 != 0, i -> false, i -> false);
        String audience = createAudience("ops", "tv");
        upload("ops", audience, emails(from, 200)).then().statusCode(200);
        assertEquals(150, matched("ops", audience));

        Response replaced = send("PUT", "ops", "/v1/audiences/" + audience + "/members", emails(from + 200, 200));
        replaced.then().statusCode(200);
        Response report = advertiser("ops").get("/v1/audiences/" + audience);
        assertEquals(150, (Integer) report.path("matched"), "only the new list's consenting members");
        assertEquals(200, (Integer) report.path("received"), "the counts are the new list's");

        send("PUT", "ops", "/v1/audiences/" + audience + "/members", "").then().statusCode(200);
        assertNull(matched("ops", audience), "an empty list empties the audience");
    }

    @Test
    void onlyTheOwnerChangesMembers() {
        String audience = createAudience("ops", "tv");
        assertProblem(send("POST", "someone-else", "/v1/audiences/" + audience + "/members:remove", "\n"), 404, null);
        assertProblem(send("PUT", "someone-else", "/v1/audiences/" + audience + "/members", "\n"), 404, null);
    }
}
