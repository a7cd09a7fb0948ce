package be.audiencematch.support;

import be.audiencematch.cli.SyntheticBase;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Builds test data through the public API. Every test takes its own range of synthetic subscribers, so tests
 * sharing one Redis never see each other's people.
 */
public final class Fixtures {

    private static final AtomicInteger NEXT = new AtomicInteger(1_000_000);

    private Fixtures() {
    }

    /** A fresh range of {@code size} subscriber indexes, never handed out before in this run. */
    public static int range(int size) {
        return NEXT.getAndAdd(size + 10);
    }

    public static String token(String role, String subject) {
        try {
            return TestEnvironment.keys().token(role, subject, Duration.ofMinutes(30));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static RequestSpecification as(String role, String subject) {
        return RestAssured.given().header("Authorization", "Bearer " + token(role, subject));
    }

    /** The Pickx ad server's question: is the household eligible for this one campaign? */
    public static Response askEligibility(String household, String campaign) {
        return as("adserver", "pickx").contentType(ContentType.JSON)
                .body("{\"household_id\":\"" + household + "\",\"campaign_ids\":[\"" + campaign + "\"]}")
                .post("/v1/eligibility");
    }

    public static RequestSpecification feed() {
        return as("subscriber-feed", "feed");
    }

    public static RequestSpecification advertiser(String advertiser) {
        return as("advertiser", advertiser);
    }

    /** NDJSON for subscribers from..from+count, with the given consents and one household per two subscribers. */
    public static String ndjson(int from, int count, IntPredicate tv, IntPredicate web, IntPredicate ads) {
        return IntStream.range(from, from + count).mapToObj(i -> subscriberJson(i, tv.test(i), web.test(i), ads.test(i),
                true)).collect(Collectors.joining("\n")) + "\n";
    }

    public static String subscriberJson(int i, boolean tv, boolean web, boolean ads, boolean withId) {
        return "{" + (withId ? "\"subscriber_id\":\"" + SyntheticBase.subscriberId(i) + "\"," : "")
                + "\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"" + SyntheticBase.emailHash(i) + "\"},"
                + "{\"type\":\"phone_sha256\",\"value\":\"" + SyntheticBase.phoneHash(i) + "\"}],"
                + "\"household_id\":\"hh-" + (i / 2) + "\","
                + "\"consents\":{\"tv\":" + tv + ",\"web\":" + web + ",\"ads_and_data\":" + ads + "}}";
    }

    public static void loadSubscribers(int from, int count, IntPredicate tv, IntPredicate web, IntPredicate ads) {
        feed().contentType("application/x-ndjson").body(ndjson(from, count, tv, web, ads).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .post("/v1/subscribers/bulk").then().statusCode(200);
    }

    public static String emails(int from, int count) {
        return IntStream.range(from, from + count).mapToObj(SyntheticBase::emailHash).collect(Collectors.joining("\n"))
                + "\n";
    }

    public static String createAudience(String advertiser, String channel) {
        return advertiser(advertiser).contentType(ContentType.JSON)
                .body("{\"name\":\"test list\",\"identifier_type\":\"email_sha256\",\"channel\":\"" + channel + "\"}")
                .post("/v1/audiences").then().statusCode(201).extract().path("id");
    }

    public static Response upload(String advertiser, String audienceId, String body) {
        return advertiser(advertiser).contentType("text/plain").body(body.getBytes(StandardCharsets.UTF_8))
                .post("/v1/audiences/" + audienceId + "/members");
    }

    /** The report's exact-looking number: null when suppressed. */
    public static Integer matched(String advertiser, String audienceId, String... segments) {
        RequestSpecification request = advertiser(advertiser);
        if (segments.length > 0) {
            request = request.queryParam("segments", String.join(",", segments));
        }
        return request.get("/v1/audiences/" + audienceId).then().statusCode(200).extract().path("matched");
    }

    public static void putSegment(String segmentId, String channel, String body) {
        feed().contentType("text/plain").queryParam("channel", channel).body(body.getBytes(StandardCharsets.UTF_8))
                .put("/v1/segments/" + segmentId).then().statusCode(200);
    }

    public static List<Integer> indexes(int from, int count) {
        return IntStream.range(from, from + count).boxed().toList();
    }

    public static void assertProblem(Response response, int status, String detailFragment) {
        assertEquals(status, response.statusCode(), () -> response.asString());
        assertEquals("application/problem+json", response.contentType().split(";")[0]);
        String detail = response.path("detail");
        if (detailFragment != null && (detail == null || !detail.contains(detailFragment))) {
            throw new AssertionError("detail '" + detail + "' lacks '" + detailFragment + "'");
        }
        String body = response.asString();
        if (body.contains("Exception") || body.contains("\tat ") || body.contains("be.audiencematch.")) {
            throw new AssertionError("problem body shows internals: " + body);
        }
    }

    /**
     * Bulk-loads subscribers [from, to) again, each moved: the e-mail of {@code i + emailShift} as its only identifier,
     * household {@code householdPrefix + i}, the given consents object.
     */
    public static void loadMoved(int from, int to, int emailShift, String householdPrefix, String consents) {
        String body = IntStream.range(from, to).mapToObj(i -> "{\"subscriber_id\":\""
                + SyntheticBase.subscriberId(i) + "\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\""
                + SyntheticBase.emailHash(i + emailShift) + "\"}],\"household_id\":\"" + householdPrefix + i + "\","
                + "\"consents\":" + consents + "}").collect(Collectors.joining("\n"));
        feed().contentType("application/x-ndjson").body(body.getBytes(StandardCharsets.UTF_8))
                .post("/v1/subscribers/bulk").then().statusCode(200);
    }

    /**
     * Checks that subscriber i moved as {@link #loadMoved} moved it: its own identifiers and synthetic household are
     * gone, the new e-mail and household lead to it. Its number.
     */
    public static long assertMoved(Inspector redis, int i, int emailShift, String householdPrefix) {
        long n = redis.numberOf(i);
        assertEquals(-1, redis.indexed(SyntheticBase.emailHash(i), 'e'));
        assertEquals(-1, redis.indexed(SyntheticBase.phoneHash(i), 'p'));
        assertEquals(n, redis.indexed(SyntheticBase.emailHash(i + emailShift), 'e'));
        assertFalse(redis.householdHas("hh-" + (i / 2), n));
        assertTrue(redis.householdHas(householdPrefix + i, n));
        return n;
    }
}
