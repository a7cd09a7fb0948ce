package be.audiencematch.ratelimit;

import be.audiencematch.support.Fixtures;
import be.audiencematch.support.Keys;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static be.audiencematch.support.Fixtures.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small buckets, so that a burst crosses them: 429 with Retry-After, per subject and role, shared through Redis. */
@QuarkusTest
@TestProfile(RateLimitTest.SmallBuckets.class)
@WithTestResource(TestEnvironment.class)
class RateLimitTest {

    /** Five requests at once, then one every 100 seconds (slow enough for a loaded machine); the ad server's alike. */
    public static class SmallBuckets implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.ofEntries(Map.entry("audience-match.rate-limit.enabled", "true"),
                    Map.entry("audience-match.rate-limit.advertiser.rate", "0.01"),
                    Map.entry("audience-match.rate-limit.advertiser.burst", "5"),
                    Map.entry("audience-match.rate-limit.adserver.rate", "0.01"),
                    Map.entry("audience-match.rate-limit.adserver.burst", "5"),
                    Map.entry("audience-match.rate-limit.dpo.rate", "0.01"),
                    Map.entry("audience-match.rate-limit.dpo.burst", "5"),
                    Map.entry("audience-match.rate-limit.in-flight.subscriber-feed", "2"));
        }
    }

    static final int BURST = 5;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;
    static RedisCommands<String, String> redis;

    @BeforeAll
    static void connect() {
        client = RedisClient.create(TestEnvironment.baseRedis().url());
        connection = client.connect();
        redis = connection.sync();
    }

    @AfterAll
    static void disconnect() {
        connection.close();
        client.shutdown();
    }

    static Response ping(String role, String subject) {
        return as(role, subject).get("/v1/ping");
    }

    /** How many of {@code n} requests in a row pass; asserts that the first refused one is a proper 429. */
    static int passingOf(int n, String role, String subject) {
        int passed = 0;
        for (int i = 0; i < n; i++) {
            Response response = ping(role, subject);
            if (response.statusCode() == 200) {
                passed++;
                continue;
            }
            assertEquals(429, response.statusCode());
            assertTrue(response.contentType().startsWith("application/problem+json"), response.contentType());
            assertEquals(429, (Integer) response.path("status"));
            String detail = response.path("detail");
            assertFalse(detail.contains(subject), "the detail never names the caller");
            assertNotNull(response.header("Retry-After"));
            int retryAfter = Integer.parseInt(response.header("Retry-After"));
            assertTrue(retryAfter >= 1 && retryAfter <= 100, "seconds until a token is back, rounded up: " + retryAfter);
        }
        return passed;
    }

    @Test
    void aFloodFromOneAdvertiserIsSlowedTo429WithRetryAfter() {
        assertEquals(BURST, passingOf(3 * BURST, "advertiser", "flooding-advertiser"));
    }

    @Test
    void eachSubjectAndRoleHasItsOwnBucket() {
        assertEquals(BURST, passingOf(BURST + 2, "advertiser", "first-advertiser"));
        assertEquals(BURST, passingOf(BURST + 2, "advertiser", "second-advertiser"),
                "another advertiser is not slowed by the first");
        assertEquals(BURST, passingOf(BURST + 2, "dpo", "first-advertiser"),
                "the same subject in another role has another bucket");
        assertEquals(BURST, passingOf(BURST + 2, "adserver", "pickx"), "the ad server's bucket is in memory, same rules");
    }

    @Test
    void theBucketIsSharedThroughRedis() {
        // Another replica has emptied this advertiser's bucket just now: this replica refuses its first request.
        String subject = "advertiser-on-two-replicas";
        String key = Keys.key("rate:advertiser:") + RateLimitStore.digest(subject);
        List<String> time = redis.time();
        long now = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        redis.hset(key, Map.of("t", "0", "at", Long.toString(now)));
        assertEquals(429, ping("advertiser", subject).statusCode(), "the token another replica took is gone here too");

        String fresh = "advertiser-seen-by-redis";
        assertEquals(200, ping("advertiser", fresh).statusCode());
        String freshKey = Keys.key("rate:advertiser:") + RateLimitStore.digest(fresh);
        assertEquals(BURST - 1, Double.parseDouble(redis.hget(freshKey, "t")), 0.01, "one token taken, in Redis");
        long ttl = redis.pttl(freshKey);
        assertTrue(ttl > 0 && ttl <= BURST * 100_000 + 1000, "the bucket expires once it would be full again: " + ttl);
        assertFalse(redis.keys(Keys.key("rate:*")).stream().anyMatch(k -> k.contains(fresh)), "keys name a digest, not a subject");
    }

    @Test
    void aThirdBulkLoadAtOnceIs429UntilOneEnds() throws Exception {
        String subject = "feed-in-flight";
        String key = Keys.key("inflight:subscriber-feed:") + RateLimitStore.digest(subject);
        int from = Fixtures.range(10);
        HeldUpload first = HeldUpload.start(subject, Fixtures.subscriberJson(from, true, false, false, true));
        awaitSlotsTaken(key, 1, first);
        HeldUpload second = HeldUpload.start(subject, Fixtures.subscriberJson(from + 1, true, false, false, true));
        awaitSlotsTaken(key, 2, second);

        Response third = bulk(subject, from + 2);
        assertEquals(429, third.statusCode());
        assertTrue(third.contentType().startsWith("application/problem+json"));
        assertEquals(RateLimitFilter.UPLOAD_RETRY_AFTER_SECONDS, Integer.parseInt(third.header("Retry-After")));
        assertTrue(third.<String>path("detail").contains("at most 2 uploads"));
        assertFalse(first.answered(), "the held loads are still running");

        assertEquals(200, first.finish());
        awaitSlotsTaken(key, 1, second);
        assertEquals(200, bulk(subject, from + 3).statusCode(), "a slot is free again once a load ends");
        assertEquals(200, second.finish());
        awaitSlotsTaken(key, 0, null);
        assertEquals(0, redis.exists(key), "no counter is left behind");
    }

    static Response bulk(String subject, int index) {
        return as("subscriber-feed", subject).contentType("application/x-ndjson")
                .body((Fixtures.subscriberJson(index, true, false, false, true) + "\n").getBytes(StandardCharsets.UTF_8))
                .post("/v1/subscribers/bulk");
    }

    /** Polls the shared counter until it shows {@code taken} (the held loads have passed the filter). */
    private static void awaitSlotsTaken(String key, int taken, HeldUpload running) {
        long deadline = System.nanoTime() + 90_000_000_000L;
        String value = null;
        while (System.nanoTime() < deadline) {
            if (running != null && running.answered()) {
                throw new AssertionError("a held load was answered early");
            }
            value = redis.get(key);
            if ((value == null ? 0 : Integer.parseInt(value)) == taken) {
                return;
            }
            LockSupport.parkNanos(20_000_000L);
        }
        throw new AssertionError("slots taken: " + value + ", expected " + taken);
    }
}
