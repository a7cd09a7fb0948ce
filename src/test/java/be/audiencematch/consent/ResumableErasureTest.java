package be.audiencematch.consent;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.support.DirectRedis;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An erasure whose membership step fails is finished later: by a retry of the DELETE (which no longer finds the
 * subscriber) or by the next start. The failure is made real: the audience's member bitmap is set aside and its
 * key holds a list meanwhile, so clearing the bit fails (WRONGTYPE) and the bit stays in the bitmap set aside.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ResumableErasureTest {

    private static final Duration AT_MOST = Duration.ofSeconds(20);

    @Inject
    PendingErasures pending;

    /**
     * One subscriber erased while its audience's bitmap cannot be written; its global number, its home shard's keys
     * (where its bits and its pending erasure are: docs/scaling.md, "Placement") and the bitmaps' names there.
     */
    private record Interrupted(int victim, long number, KeySpace.Keys home, String audienceBits, String segmentBits) {

        /** Whether the home shard still notes the erasure as pending (by the number's local part). */
        boolean pending(Raw redis, Inspector inspector) {
            return redis.commands.sismember(home.name("erasing"), Long.toString(inspector.local(number)));
        }
    }

    private static Interrupted interruptedErasure() {
        int from = range(2);
        loadSubscribers(from, 2, i -> true, i -> true, i -> true);
        String segment = "erasing-" + from;
        putSegment(segment, "tv", emails(from, 2));
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(from, 2)).then().statusCode(200);
        String audienceBits = "audience:" + audience + ":members";
        try (Inspector inspector = new Inspector(); Raw redis = new Raw()) {
            long number = inspector.numberOf(from);
            KeySpace.Keys home = inspector.home(number);
            Interrupted erasure = new Interrupted(from, number, home, audienceBits, "segment:" + segment);
            assertEquals(1, inspector.bit(audienceBits, number));
            // Set aside in the same shard, so that RENAME stays within one slot.
            String aside = home.name("test:aside:" + audience);
            redis.commands.rename(home.name(audienceBits), aside);
            redis.commands.rpush(home.name(audienceBits), "not a bitmap");
            try {
                Response failed = feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(from));
                assertProblem(failed, 503, null);
                assertNotNull(failed.header("Retry-After"));
            } finally {
                redis.commands.del(home.name(audienceBits));
                redis.commands.rename(aside, home.name(audienceBits));
            }
            assertEquals(-1, inspector.numberOf(from), "the base entry went in the first, atomic step");
            assertTrue(erasure.pending(redis, inspector), "the erasure is pending");
            assertEquals(1, inspector.bit(audienceBits, number), "the orphan bit a plain retry could not find");
            return erasure;
        }
    }

    @Test
    void aRetryOfTheDeleteFinishesTheInterruptedErasure() {
        Interrupted erasure = interruptedErasure();
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(erasure.victim())).then().statusCode(204);
        try (Inspector inspector = new Inspector(); Raw redis = new Raw()) {
            assertEquals(0, inspector.bit(erasure.audienceBits(), erasure.number()));
            assertEquals(0, inspector.bit(erasure.segmentBits(), erasure.number()));
            assertFalse(erasure.pending(redis, inspector));
            long neighbour = inspector.numberOf(erasure.victim() + 1);
            assertTrue(neighbour >= 0, "the neighbour stays");
            assertEquals(1, inspector.bit(erasure.audienceBits(), neighbour), "and keeps its membership");
        }
    }

    @Test
    void theNextStartFinishesTheInterruptedErasure() {
        Interrupted erasure = interruptedErasure();
        pending.onStart(null);
        try (Inspector inspector = new Inspector(); Raw redis = new Raw()) {
            long deadline = System.nanoTime() + AT_MOST.toNanos();
            while (erasure.pending(redis, inspector) && System.nanoTime() < deadline) {
                redis.commands.ping();      // a round trip per look, not a sleep
            }
            assertFalse(erasure.pending(redis, inspector), "finished at start");
            assertEquals(0, inspector.bit(erasure.audienceBits(), erasure.number()));
            assertEquals(0, inspector.bit(erasure.segmentBits(), erasure.number()));
        }
    }

    /** Plain Redis commands on the test's Redis, to break and mend a key the way a failing store would. */
    private static final class Raw implements AutoCloseable {
        private final DirectRedis<String, String> redis = DirectRedis.text(TestEnvironment.baseRedis().url());
        final RedisClusterCommands<String, String> commands = redis.commands();

        @Override
        public void close() {
            redis.close();
        }
    }
}
