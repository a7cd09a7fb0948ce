package be.audiencematch.eligibility;

import be.audiencematch.audience.AudienceStore;
import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.changes.ChangeLog;
import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.segment.SegmentStore;
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

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An erased subscriber's audience and segment bits leave every replica's copies of those bitmaps before the
 * erasure is acknowledged (the erasure's last change entry names the number: docs/architecture.md, "Eligibility
 * view"), not only Redis' bitmaps and the consent bits.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ErasedBitsInViewsTest {

    private static final Duration AT_MOST = Duration.ofSeconds(20);

    @Inject
    KeySpace keySpace;

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
    void anErasureClearsTheNumberInEveryReplicasBitmapCopies() {
        int from = range(2) / 2 * 2 + 2;
        loadSubscribers(from, 2, i -> true, i -> true, i -> true);
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(from, 2)).then().statusCode(200);
        String segment = "erased-bits-" + from;
        putSegment(segment, "tv", emails(from, 2));
        String body = "{\"audience_id\":\"" + audience + "\",\"segments\":[\"" + segment + "\"],\"starts_at\":\""
                + Instant.now().minusSeconds(60) + "\",\"ends_at\":\"" + Instant.now().plusSeconds(3600) + "\"}";
        advertiser("acme").contentType(ContentType.JSON).body(body).post("/v1/campaigns").then().statusCode(201);
        String audienceBits = AudienceStore.membersName(audience);
        String segmentBits = SegmentStore.bitmapName(segment);

        ViewFollower other = new ViewFollower(redis, changes, base, campaigns, vertx, metrics, true,
                Duration.ofSeconds(2), 1000);
        other.onStart(null);
        try (Inspector inspector = new Inspector()) {
            awaitServing(other);
            awaitServing(follower);
            int victim = (int) inspector.numberOf(from);
            int neighbour = (int) inspector.numberOf(from + 1);
            for (ViewFollower replica : new ViewFollower[] {follower, other}) {
                assertTrue(replica.view().bitmapHas(audienceBits, victim), "the copy is there to begin with");
                assertTrue(replica.view().bitmapHas(segmentBits, victim), "the copy is there to begin with");
            }

            feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(from)).then().statusCode(204);

            for (ViewFollower replica : new ViewFollower[] {follower, other}) {
                assertFalse(replica.view().bitmapHas(audienceBits, victim), "an erased number in an audience copy");
                assertFalse(replica.view().bitmapHas(segmentBits, victim), "an erased number in a segment copy");
                assertTrue(replica.view().bitmapHas(audienceBits, neighbour), "the neighbour stays");
                assertTrue(replica.view().bitmapHas(segmentBits, neighbour), "the neighbour stays");
            }
        } finally {
            other.onStop(null);
        }
    }

    @Test
    void anErasureReplacesACompressedCopyAndLeavesTheOldOneToItsReaders() {
        // Enough subscribers before the two that their audience is sparse: the view keeps it compressed. In each
        // shard's part, whose numbers are local: S times as many for S shards (docs/scaling.md, "Numbers").
        int count = 2_048 * keySpace.shards();
        int from = range(count) / 2 * 2 + 2;
        loadSubscribers(from, count, i -> true, i -> true, i -> true);
        int first = from + count - 2;
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(first, 2)).then().statusCode(200);
        String body = "{\"audience_id\":\"" + audience + "\",\"segments\":[],\"starts_at\":\""
                + Instant.now().minusSeconds(60) + "\",\"ends_at\":\"" + Instant.now().plusSeconds(3600) + "\"}";
        advertiser("acme").contentType(ContentType.JSON).body(body).post("/v1/campaigns").then().statusCode(201);
        String audienceBits = AudienceStore.membersName(audience);
        try (Inspector inspector = new Inspector()) {
            awaitServing(follower);
            // The view keeps a bitmap as one part a shard, each by local number (docs/scaling.md, "Reads"): the
            // victim's part is the copy the erasure replaces; the neighbour's may be another shard's.
            long victim = inspector.numberOf(first);
            long neighbour = inspector.numberOf(first + 1);
            int shards = inspector.shards();
            ViewBitmap before = follower.view().bitmap(audienceBits, (int) (victim % shards));
            ViewBitmap neighbours = follower.view().bitmap(audienceBits, (int) (neighbour % shards));
            assertInstanceOf(ViewBitmap.Compressed.class, before, "a 2-member audience over thousands of numbers");
            assertTrue(before.has((int) inspector.local(victim)), "the copy is there to begin with");
            assertTrue(neighbours.has((int) inspector.local(neighbour)), "the copy is there to begin with");

            feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(first)).then().statusCode(204);

            ViewBitmap after = follower.view().bitmap(audienceBits, (int) (victim % shards));
            assertNotSame(before, after, "a compressed copy is replaced, never changed under its readers");
            assertTrue(before.has((int) inspector.local(victim)), "the old copy, which a reader may still hold, is "
                    + "untouched");
            assertFalse(after.has((int) inspector.local(victim)), "an erased number in an audience copy");
            assertTrue(follower.view().bitmap(audienceBits, (int) (neighbour % shards))
                    .has((int) inspector.local(neighbour)), "the neighbour stays");
        }
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
}
