package be.audiencematch.eligibility;

import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.changes.ChangeLog;
import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.TestEnvironment;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.subscriberJson;
import static be.audiencematch.support.Fixtures.upload;
import static org.hamcrest.Matchers.oneOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replica-local eligibility view: it answers exactly as the Redis script does after any mix of writes, and the
 * writers' acknowledgement waits for every replica that holds a lease (see docs/architecture.md, "Eligibility view").
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class EligibilityViewTest {

    private static final Duration AT_MOST = Duration.ofSeconds(20);

    @Inject
    ViewFollower follower;

    @Inject
    CampaignStore campaigns;

    @Inject
    ChangeLog changes;

    @Inject
    RedisConnections redis;

    @Inject
    SubscriberStore base;


    @Inject
    Vertx vertx;

    @Inject
    MeterRegistry metrics;

    @Test
    void theViewAnswersExactlyAsRedisDoesAfterEveryKindOfWrite() {
        Random random = new Random(20261128);
        int start = range(241) / 2 * 2 + 2;
        int count = 240;
        loadSubscribers(start, count, i -> random.nextInt(4) > 0, i -> random.nextBoolean(), i -> random.nextBoolean());
        String tv = createAudience("acme", "tv");
        String web = createAudience("acme", "web");
        upload("acme", tv, hashes(start, count, random, 0.6)).then().statusCode(200);
        upload("acme", web, hashes(start, count, random, 0.5)).then().statusCode(200);
        String fans = "view-fans-" + start;
        putSegment(fans, "tv", hashes(start, count, random, 0.5));
        List<String> asked = new ArrayList<>(List.of(
                campaign(tv, List.of(), Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600)),
                campaign(tv, List.of(fans), Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600)),
                campaign(web, List.of(), Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600)),
                campaign(tv, List.of(), Instant.now().plusSeconds(3600), Instant.now().plusSeconds(7200)),
                "cmp_unknown"));
        String stopped = campaign(tv, List.of(), Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
        asked.add(stopped);

        awaitServing(follower);
        // Also fills the view's household member lists, which the changes below must then correct.
        Map<String, Integer> before = compareEveryHousehold(start, count, asked);
        assertTrue(before.getOrDefault(stopped, 0) > 10, "households reached before the changes: " + before);

        // Every kind of change the view must follow: consents, erasures, moves between households, a segment
        // replaced, an audience grown, a campaign deleted.
        for (int k = 0; k < 40; k++) {
            int i = start + random.nextInt(count);
            feed().contentType(ContentType.JSON).body("{\"tv\":" + random.nextBoolean() + ",\"web\":"
                            + random.nextBoolean() + "}")
                    .patch("/v1/subscribers/" + SyntheticBase.subscriberId(i) + "/consents").then().statusCode(204);
        }
        for (int k = 0; k < 5; k++) {
            feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(start + random.nextInt(count)))
                    .then().statusCode(204);
        }
        for (int k = 0; k < 5; k++) {
            int i = start + random.nextInt(count);
            String moved = subscriberJson(i, true, true, false, false).replace("\"hh-" + (i / 2) + "\"",
                    "\"hh-" + (start / 2 + random.nextInt(count / 2)) + "\"");
            feed().contentType(ContentType.JSON).body(moved).put("/v1/subscribers/" + SyntheticBase.subscriberId(i))
                    .then().statusCode(oneOf(200, 201));     // 201: erased above, back again
        }
        putSegment(fans, "tv", hashes(start, count, random, 0.3));
        upload("acme", tv, hashes(start, count, random, 0.2)).then().statusCode(200);
        advertiser("acme").delete("/v1/campaigns/" + stopped).then().statusCode(204);

        awaitServing(follower);
        Map<String, Integer> after = compareEveryHousehold(start, count, asked);
        assertEquals(0, after.getOrDefault(stopped, 0), "a deleted campaign");
        assertTrue(after.getOrDefault(asked.get(0), 0) > 10 && after.get(asked.get(0)) < count / 2 - 10,
                "the data mixes eligible and not: " + after);
    }

    /** Asks the view and the Redis script about every household of the test; households reached by campaign. */
    private Map<String, Integer> compareEveryHousehold(int start, int count, List<String> asked) {
        Map<String, Integer> reached = new HashMap<>();
        for (int h = start / 2; h < (start + count) / 2; h++) {
            String household = "hh-" + h;
            int[] members = follower.household(household).await().atMost(AT_MOST);
            List<String> fromView = follower.view().eligible(members, asked, System.currentTimeMillis());
            List<String> fromRedis = campaigns.eligible(household, asked, Instant.now()).await().atMost(AT_MOST);
            assertEquals(fromRedis, fromView, "household " + (h - start / 2) + " of the test");
            assertEquals(fromRedis, follower.view().eligible(follower.household(household).await().atMost(AT_MOST),
                    asked, System.currentTimeMillis()), "kept member list");
            fromView.forEach(c -> reached.merge(c, 1, Integer::sum));
        }
        return reached;
    }

    @Test
    void aReplicaThatDoesNotConfirmHoldsTheWriterUntilItsLeaseEnds() {
        int start = range(2);
        loadSubscribers(start, 1, i -> true, i -> false, i -> false);
        withReplica(1_500, 0, (redis, leaseEnd) -> {
            withdrawTv(start);
            assertTrue(redis.redisTimeMillis() >= leaseEnd,
                    "the withdrawal was acknowledged while a replica that had not applied it still held a lease");
        });
    }

    @Test
    void aReplicaThatConfirmedDoesNotHoldTheWriter() {
        int start = range(2);
        loadSubscribers(start, 1, i -> true, i -> false, i -> false);
        withReplica(60_000, Long.MAX_VALUE / 4, (redis, leaseEnd) -> {
            withdrawTv(start);
            assertTrue(redis.redisTimeMillis() < leaseEnd, "the writer waited for a replica that was current");
        });
    }

    @Test
    void aWriteThatNoReplicaConfirmsInTimeIsStoredAndAnswered503() {
        int start = range(2);
        loadSubscribers(start, 1, i -> true, i -> false, i -> false);
        // A lease far longer than the confirmation timeout (4 s in tests), on a replica stuck before this write.
        withReplica(120_000, 0, (redis, leaseEnd) -> {
            assertProblem(feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                    .patch("/v1/subscribers/" + SyntheticBase.subscriberId(start) + "/consents"), 503, "send it again");
            assertEquals(0, redis.bit("consent:tv", redis.numberOf(start)), "the withdrawal itself is stored");
        });
    }

    @Test
    void aSecondReplicaReflectsEveryAcknowledgedChangeInItsVeryNextAnswer() {
        int start = range(2) / 2 * 2 + 2;
        loadSubscribers(start, 1, i -> true, i -> false, i -> false);           // a household of one
        String audience = createAudience("acme", "tv");
        upload("acme", audience, SyntheticBase.emailHash(start) + "\n").then().statusCode(200);
        String campaign = campaign(audience, List.of(), Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
        String household = "hh-" + (start / 2);
        // Another replica, in this JVM: its own view, connection, lease and follower, on the same Redis.
        // Its lease is long (10 s), so a replica that did not leave the lease table on stopping would hold writers.
        ViewFollower other = new ViewFollower(redis, changes, base, campaigns, vertx, metrics, true,
                Duration.ofSeconds(10), 1000);
        other.onStart(null);
        try {
            awaitServing(other);
            int stale = 0;
            for (int round = 0; round < 60; round++) {
                boolean allowed = round % 2 == 1;
                feed().contentType(ContentType.JSON).body("{\"tv\":" + allowed + "}")
                        .patch("/v1/subscribers/" + SyntheticBase.subscriberId(start) + "/consents").then().statusCode(204);
                // Straight after the 2xx, asked of the other replica's view (its household list is kept after round 0).
                int[] members = other.household(household).await().atMost(AT_MOST);
                List<String> answer = other.view().eligible(members, List.of(campaign), System.currentTimeMillis());
                if (answer.isEmpty() == allowed || !other.serving()) {
                    stale++;
                }
            }
            assertEquals(0, stale, "answers of the other replica that missed an acknowledged change");
        } finally {
            other.onStop(null);
        }
        assertTrue(!other.serving(), "a stopped replica no longer answers from its view");
        try (Inspector redis = new Inspector()) {
            long before = redis.redisTimeMillis();
            withdrawTv(start);
            assertTrue(redis.redisTimeMillis() - before < 3_000, "a stopped replica left the lease table at once");
        }
    }

    private static void withdrawTv(int index) {
        feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                .patch("/v1/subscribers/" + SyntheticBase.subscriberId(index) + "/consents").then().statusCode(204);
    }

    /** A view registers shortly after its start; each round trip below is a Redis call, not a sleep. */
    private void awaitServing(ViewFollower view) {
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        while (!view.serving() && System.nanoTime() < deadline) {
            changes.settled().await().atMost(AT_MOST);
        }
        changes.settled().await().atMost(AT_MOST);
        assertTrue(view.serving(), "the eligibility view should be serving");
    }

    /** What a test does while another replica (registered in Redis only) holds a lease with a change applied. */
    private interface WhileRegistered {
        void run(Inspector redis, long leaseEnd);
    }

    private static void withReplica(long leaseMillis, long applied, WhileRegistered body) {
        try (Inspector redis = new Inspector()) {
            long leaseEnd = redis.redisTimeMillis() + leaseMillis;
            redis.registerReplica("replica_registered", leaseEnd, applied);
            try {
                body.run(redis, leaseEnd);
            } finally {
                redis.forgetReplica("replica_registered");
            }
        }
    }

    private static String hashes(int start, int count, Random random, double share) {
        return IntStream.range(start, start + count).filter(i -> random.nextDouble() < share)
                .mapToObj(SyntheticBase::emailHash).collect(Collectors.joining("\n")) + "\n";
    }

    private static String campaign(String audience, List<String> segments, Instant starts, Instant ends) {
        String body = "{\"audience_id\":\"" + audience + "\",\"segments\":["
                + segments.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(","))
                + "],\"starts_at\":\"" + starts + "\",\"ends_at\":\"" + ends + "\"}";
        return advertiser("acme").contentType(ContentType.JSON).body(body).post("/v1/campaigns")
                .then().statusCode(201).extract().path("id");
    }
}
