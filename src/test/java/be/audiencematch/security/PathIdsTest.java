package be.audiencematch.security;

import be.audiencematch.support.Fixtures;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

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

/**
 * A path id that cannot exist never reaches a Redis key: it is answered as an unknown id (404), or 400 where the
 * request would create it, never 503. A national register number is refused as a subscriber or household id.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class PathIdsTest {

    /** Sent as written (already encoded where needed): RestAssured would encode them again. */
    private static RequestSpecification raw(RequestSpecification request) {
        return request.urlEncodingEnabled(false);
    }

    /** {@code aud_x:members} named the members set of audience aud_x, which answered "503 store unreachable". */
    @ParameterizedTest
    @ValueSource(strings = {"aud_x:members", "aud_x%3Amembers", "..%2F..%2Fsegments", "aud_%00", "%7Bid%7D",
        "aud_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aud_ABCDEFGHJKLMNPQRSTUV", "cmp_abcdefghijkmnpqrstu"})
    void anAudienceIdThatCannotExistIsNotFound(String id) {
        String owner = "path-acme";
        assertProblem(raw(advertiser(owner)).get("/v1/audiences/" + id), 404, "no audience with that id");
        assertProblem(raw(advertiser(owner)).delete("/v1/audiences/" + id), 404, "no audience with that id");
        assertProblem(raw(advertiser(owner)).contentType("text/plain").body("")
                .post("/v1/audiences/" + id + "/members"), 404, "no audience with that id");
        assertProblem(raw(advertiser(owner)).get("/v1/campaigns/" + id.replace("aud_", "cmp_")), 404,
                "no campaign with that id");
    }

    @Test
    void theMembersKeyOfARealAudienceIsNotAnotherAudience() {
        int from = range(5);
        loadSubscribers(from, 5, i -> true, i -> false, i -> false);
        String id = createAudience("path-acme", "tv");
        upload("path-acme", id, emails(from, 5)).then().statusCode(200);
        assertProblem(raw(advertiser("path-acme")).get("/v1/audiences/" + id + ":members"), 404, "no audience");
        assertProblem(raw(advertiser("path-acme")).get("/v1/audiences/" + id + "%3Amembers"), 404, "no audience");
        assertEquals(id, advertiser("path-acme").get("/v1/audiences/" + id).then().statusCode(200)
                .extract().path("id"));
        Instant now = Instant.now();
        assertProblem(advertiser("path-acme").contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + id + ":members\",\"starts_at\":\"" + now + "\",\"ends_at\":\""
                        + now.plusSeconds(60) + "\"}").post("/v1/campaigns"), 400, "audience_id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"seg:x", "seg%3Ax", "%00", "%7BsegmentId%7D",
        "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"})
    void aSegmentIdThatCannotExistIsNotFoundOrRefused(String id) {
        assertProblem(raw(feed()).delete("/v1/segments/" + id), 404, "no segment with that id");
        assertProblem(raw(as("adsdata", "ads")).get("/v1/exports/ads-and-data/segments/" + id), 404,
                "no segment with that id");
        assertProblem(raw(feed()).contentType("text/plain").queryParam("channel", "tv").body("")
                .put("/v1/segments/" + id), 400, "segment id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"hh%3Ax%20y", "%00", "%7BhouseholdId%7D"})
    void aHouseholdIdThatCannotExistIsRefused(String id) {
        assertProblem(raw(as("adserver", "pickx")).get("/v1/eligibility/" + id), 400, "householdId");
    }

    @ParameterizedTest
    @ValueSource(strings = {"85.07.30-033.28", "85073003328", "01.02.03-123.45"})
    void aNationalRegisterNumberIsNeverASubscriberOrHouseholdId(String number) {
        String body = "{\"identifiers\":[],\"household_id\":\"hh-nrn\",\"consents\":{\"tv\":true}}";
        Response put = feed().contentType(ContentType.JSON).body(body).put("/v1/subscribers/" + number);
        assertProblem(put, 400, "path 'subscriberId' looks like a national register number, which the privacy policy"
                + " forbids processing");
        assertFalse(put.asString().contains(number), "the number is not echoed");
        assertProblem(feed().delete("/v1/subscribers/" + number), 400, "national register number");
        assertProblem(feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                .patch("/v1/subscribers/" + number + "/consents"), 400, "national register number");
        assertProblem(feed().contentType(ContentType.JSON).body(body.replace("hh-nrn", number))
                .put("/v1/subscribers/nrn-ok-1"), 400, "field 'household_id' looks like a national register number");
        assertProblem(as("adserver", "pickx").get("/v1/eligibility/" + number), 400,
                "path 'householdId' looks like a national register number");
        assertProblem(as("adserver", "pickx").contentType(ContentType.JSON)
                .body("{\"household_id\":\"" + number + "\",\"campaign_ids\":[\"cmp_x\"]}").post("/v1/eligibility"),
                400, "field 'household_id' looks like a national register number");
    }

    @Test
    void aBulkLineWithANationalRegisterNumberIsRejectedByItsLineNumber() {
        int from = range(3);
        String good = Fixtures.ndjson(from, 2, i -> true, i -> false, i -> false);
        String bad = Fixtures.subscriberJson(from + 2, true, false, false, true)
                .replaceFirst("\"subscriber_id\":\"[^\"]+\"", "\"subscriber_id\":\"85.07.30-033.28\"");
        String badHousehold = Fixtures.subscriberJson(from + 3, true, false, false, true)
                .replaceFirst("\"household_id\":\"[^\"]+\"", "\"household_id\":\"01020312345\"");
        byte[] body = (good + bad + "\n" + badHousehold + "\n").getBytes(StandardCharsets.UTF_8);
        Response report = feed().contentType("application/x-ndjson").body(body).post("/v1/subscribers/bulk");
        report.then().statusCode(200);
        assertEquals(2, (Integer) report.path("accepted"));
        assertEquals(2, (Integer) report.path("rejected"));
        String errors = report.asString();
        assertFalse(errors.contains("85.07.30") || errors.contains("01020312345"), errors);
        assertEquals(3, (Integer) report.path("errors[0].line"), errors);
        assertEquals(4, (Integer) report.path("errors[1].line"), errors);
        assertEquals(true, report.<String>path("errors[0].reason").contains("national register number"), errors);
        assertEquals(true, report.<String>path("errors[1].reason").contains("national register number"), errors);
    }

    /** An advertiser does not learn which segments the other channel has: missing and other-channel read alike. */
    @Test
    void anUnknownSegmentAndAnotherChannelsSegmentGetTheSameAnswer() {
        int from = range(4);
        loadSubscribers(from, 4, i -> true, i -> true, i -> false);
        String tvSegment = "path-tv-" + from;
        putSegment(tvSegment, "tv", emails(from, 4));
        String webAudience = createAudience("path-acme", "web");
        String ofOtherChannel = assertProblem400(advertiser("path-acme").queryParam("segments", tvSegment)
                .get("/v1/audiences/" + webAudience));
        String missing = assertProblem400(advertiser("path-acme").queryParam("segments", "path-none-" + from)
                .get("/v1/audiences/" + webAudience));
        assertEquals(missing, ofOtherChannel);
        assertEquals("segments[0] names no segment of this audience's channel", missing);

        Instant now = Instant.now();
        String body = "{\"audience_id\":\"%s\",\"segments\":[\"%s\"],\"starts_at\":\"%s\",\"ends_at\":\"%s\"}";
        String campaignOther = assertProblem400(advertiser("path-acme").contentType(ContentType.JSON)
                .body(String.format(body, webAudience, tvSegment, now, now.plusSeconds(60))).post("/v1/campaigns"));
        String campaignMissing = assertProblem400(advertiser("path-acme").contentType(ContentType.JSON)
                .body(String.format(body, webAudience, "path-none-" + from, now, now.plusSeconds(60)))
                .post("/v1/campaigns"));
        assertEquals(campaignMissing, campaignOther);
    }

    private static String assertProblem400(Response response) {
        assertProblem(response, 400, "segments[0]");
        return response.path("detail");
    }
}
