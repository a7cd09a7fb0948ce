package be.audiencematch.redis;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.eligibility.ViewFollower;
import be.audiencematch.support.DurableRedisEnvironment;
import be.audiencematch.support.TestEnvironment;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.Keys;
import be.audiencematch.support.RedisServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.askEligibility;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.ndjson;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redis gone entirely, then back (docs/architecture.md, "Fail closed"): every call family answers 503 with
 * Retry-After and readiness is down meanwhile; Redis started again on the same port and folder (append-only file on)
 * has everything acknowledged before, and the service answers again without a restart, its eligibility view
 * following again. A bulk load cut short by the outage completes when sent again, and its Idempotency-Key then
 * answers the first outcome without loading a second time.
 */
@QuarkusTest
@DisabledIfSystemProperty(named = TestEnvironment.TOPOLOGY, matches = "cluster",
        disabledReason = "stops and restarts its own append-only standalone Redis")
@WithTestResource(DurableRedisEnvironment.class)
class RedisOutageTest {

    @Inject
    ViewFollower follower;

    private static RedisServer redis() {
        return DurableRedisEnvironment.durableRedis();
    }

    @Test
    void everyCallFamilyAnswers503WhileRedisIsGoneAndAllIsThereAfter() throws Exception {
        int taken = range(4);
        int from = taken + taken % 2;
        loadSubscribers(from, 2, i -> true, i -> false, i -> false);
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(from, 2)).then().statusCode(200);
        String campaign = advertiser("acme").contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + audience + "\",\"segments\":[],\"starts_at\":\""
                        + Instant.now().minus(Duration.ofHours(1)) + "\",\"ends_at\":\""
                        + Instant.now().plus(Duration.ofDays(1)) + "\"}")
                .post("/v1/campaigns").then().statusCode(201).extract().path("id");
        String household = "hh-" + (from / 2);
        String subscriber = SyntheticBase.subscriberId(from);
        assertEquals(List.of(campaign), eligibleSoon(household, campaign));

        Map<String, Supplier<Response>> calls = new LinkedHashMap<>();
        calls.put("consent withdrawal", () -> feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                .patch("/v1/subscribers/" + subscriber + "/consents"));
        calls.put("subscriber erasure", () -> feed().delete("/v1/subscribers/" + subscriber));
        calls.put("bulk load", () -> feed().contentType("application/x-ndjson")
                .body(ndjson(from + 2, 2, i -> true, i -> true, i -> true).getBytes(StandardCharsets.UTF_8))
                .post("/v1/subscribers/bulk"));
        calls.put("segment list", () -> feed().get("/v1/segments"));
        calls.put("audience list", () -> advertiser("acme").get("/v1/audiences"));
        calls.put("audience report", () -> advertiser("acme").get("/v1/audiences/" + audience));
        calls.put("list upload", () -> upload("acme", audience, emails(from, 2)));
        calls.put("campaign list", () -> advertiser("acme").get("/v1/campaigns"));
        calls.put("privacy budget", () -> advertiser("acme").get("/v1/privacy/budget"));
        calls.put("eligibility", () -> askEligibility(household, campaign));
        calls.put("export segments", () -> as("adsdata", "ads-and-data").get("/v1/exports/ads-and-data/segments"));
        calls.put("audit trail", () -> as("dpo", "dpo").get("/v1/audit"));
        calls.put("right of access", () -> as("dpo", "dpo").get("/v1/dpo/subscribers/" + subscriber));

        redis().stop();
        try {
            for (Map.Entry<String, Supplier<Response>> call : calls.entrySet()) {
                Response response = call.getValue().get();
                assertEquals(503, response.statusCode(), call.getKey());
                assertEquals("application/problem+json", response.contentType(), call.getKey());
                assertNotNull(response.header("Retry-After"), call.getKey());
            }
            RestAssured.given().get("/q/health/ready").then().statusCode(503);
        } finally {
            redis().start();
        }

        awaitReady();
        // Everything acknowledged before the outage is there (the append-only file), and the service answers again
        // without a restart: the eligibility view follows the stream again and the household is eligible.
        try (Inspector inspector = new Inspector(redis().url())) {
            assertTrue(inspector.numberOf(from) >= 0, "the subscriber survived the restart");
        }
        assertEquals(List.of(campaign), eligibleSoon(household, campaign));
        // The view's reconnect backs off (1 s doubling to 16 s, with jitter) while Redis is away.
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!follower.serving() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(follower.serving(), "the view serves again");
        int status = 0;
        while (status != 204 && System.nanoTime() < deadline) {
            status = feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                    .patch("/v1/subscribers/" + subscriber + "/consents").statusCode();
        }
        assertEquals(204, status, "writes are acknowledged again");
        feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                .patch("/v1/subscribers/" + SyntheticBase.subscriberId(from + 1) + "/consents").then().statusCode(204);
        assertEquals(List.of(), askEligibility(household, campaign).then().statusCode(200).extract().path("eligible"),
                "the withdrawal is in the very next answer");
    }

    @Test
    void aBulkLoadCutShortByTheOutageCompletesWhenSentAgainAndItsKeyAnswersOnce() throws Exception {
        int count = 6_000;
        int from = range(count);
        byte[] body = ndjson(from, count, i -> true, i -> false, i -> false).getBytes(StandardCharsets.UTF_8);
        String key = "load-" + from;

        // Redis stops once the service has half of the body: the load fails part-way through.
        int outcome;
        try {
            outcome = feed().header("Idempotency-Key", key).contentType("application/x-ndjson")
                    .body(new StopsRedisHalfWay(body)).post("/v1/subscribers/bulk").statusCode();
        } catch (RuntimeException connectionDropped) {
            outcome = -1;
        } finally {
            redis().start();
        }
        assertTrue(outcome == 503 || outcome == -1, "the load was cut short: " + outcome);
        awaitReady();

        // Sent again, same key: until the first attempt's claim is given back the answer is 409 (send it again).
        long deadline = System.nanoTime() + 60_000_000_000L;
        Response again = null;
        while (System.nanoTime() < deadline && (again == null || again.statusCode() != 200)) {
            again = feed().header("Idempotency-Key", key).contentType("application/x-ndjson").body(body)
                    .post("/v1/subscribers/bulk");
            assertTrue(List.of(200, 409, 503).contains(again.statusCode()), "resend: " + again.statusCode());
        }
        assertEquals(200, again.statusCode());
        assertEquals(count, (Integer) again.path("accepted"));

        try (Inspector inspector = new Inspector(redis().url())) {
            for (int i = from; i < from + count; i += 97) {
                long number = inspector.numberOf(i);
                assertTrue(number >= 0, "loaded whole");
                assertEquals(number, inspector.indexed(SyntheticBase.emailHash(i), 'e'), "and matchable");
                assertEquals(1, inspector.bit("consent:tv", number));
            }
        }
        // The same key once more, with other consents: the first outcome, and nothing loaded a second time.
        byte[] withdrawn = ndjson(from, count, i -> false, i -> false, i -> false).getBytes(StandardCharsets.UTF_8);
        Response repeat = feed().header("Idempotency-Key", key).contentType("application/x-ndjson").body(withdrawn)
                .post("/v1/subscribers/bulk");
        assertEquals(200, repeat.statusCode());
        assertEquals(count, (Integer) repeat.path("accepted"));
        try (Inspector inspector = new Inspector(redis().url())) {
            assertEquals(1, inspector.bit("consent:tv", inspector.numberOf(from)), "not loaded twice");
        }
        // The upload slot the cut-short load took is given back once Redis answers again, not held for its lease.
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis().url());
        try (var c = client.connect()) {
            Supplier<Long> slotsTaken = () -> c.sync().keys(Keys.key("inflight:subscriber-feed:*")).stream()
                    .map(k -> c.sync().get(k)).filter(java.util.Objects::nonNull).mapToLong(Long::parseLong).sum();
            long taken = slotsTaken.get();
            long slotDeadline = System.nanoTime() + 30_000_000_000L;
            while (taken > 0 && System.nanoTime() < slotDeadline) {
                taken = slotsTaken.get();
            }
            assertEquals(0, taken, "no upload slot left taken");
        } finally {
            client.shutdown();
        }
    }
    @Test
    void aListUploadCutShortByTheOutageLeavesNothingAndCompletesWhenSentAgain() throws Exception {
        int count = 3_000;
        int from = range(count);
        loadSubscribers(from, count, i -> true, i -> false, i -> false);
        String audience = createAudience("outage-lists", "tv");
        byte[] body = emails(from, count).getBytes(StandardCharsets.UTF_8);
        String key = "list-" + from;

        int outcome;
        try {
            outcome = advertiser("outage-lists").header("Idempotency-Key", key).contentType("text/plain")
                    .body(new StopsRedisHalfWay(body)).post("/v1/audiences/" + audience + "/members").statusCode();
        } catch (RuntimeException connectionDropped) {
            outcome = -1;
        } finally {
            redis().start();
        }
        assertTrue(outcome == 503 || outcome == -1, "the upload was cut short: " + outcome);
        awaitReady();

        // The upload merges its matches in one step at its end: a cut-short one left no member and no count behind.
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis().url());
        try (var c = client.connect()) {
            assertEquals(0, c.sync().bitcount(Keys.key("audience:") + audience + ":members"), "no half-written members");
            assertEquals("0", c.sync().hget(Keys.key("audience:") + audience, "received"), "no half-written counts");
        } finally {
            client.shutdown();
        }

        // Sent again with the same key: the whole list, counted once.
        long deadline = System.nanoTime() + 60_000_000_000L;
        Response again = null;
        while (System.nanoTime() < deadline && (again == null || again.statusCode() != 200)) {
            again = advertiser("outage-lists").header("Idempotency-Key", key).contentType("text/plain").body(body)
                    .post("/v1/audiences/" + audience + "/members");
            assertTrue(List.of(200, 409, 503).contains(again.statusCode()), "resend: " + again.statusCode());
        }
        assertEquals(200, again.statusCode());
        assertEquals(count, (Integer) again.path("received"));
        assertEquals(count, (Integer) advertiser("outage-lists").get("/v1/audiences/" + audience).then().statusCode(200)
                .extract().path("matched"));
    }

    private static void awaitReady() {
        long deadline = System.nanoTime() + 30_000_000_000L;
        int status = 0;
        while (System.nanoTime() < deadline && status != 200) {
            status = RestAssured.given().get("/q/health/ready").statusCode();
        }
        assertEquals(200, status, "ready again without a restart");
    }

    /** Asks until the campaign is eligible (or 30 s pass); the answer at the end. */
    private static List<String> eligibleSoon(String household, String campaign) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        List<String> eligible = List.of();
        while (!eligible.equals(List.of(campaign)) && System.nanoTime() < deadline) {
            Response answer = askEligibility(household, campaign);
            eligible = answer.statusCode() == 200 ? answer.path("eligible") : List.of();
        }
        return eligible;
    }

    /** A body that stops the test's Redis once half of it was read by the service. */
    private static final class StopsRedisHalfWay extends InputStream {
        private final ByteArrayInputStream bytes;
        private final int half;
        private int read;
        private boolean stopped;

        StopsRedisHalfWay(byte[] body) {
            this.bytes = new ByteArrayInputStream(body);
            this.half = body.length / 2;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (!stopped && read >= half) {
                stopped = true;
                try {
                    redis().stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new UncheckedIOException(new IOException("interrupted"));
                }
            }
            int n = bytes.read(b, off, Math.min(len, 8_192));
            read += Math.max(n, 0);
            return n;
        }
    }
}
