package be.audiencematch.consent;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.Keys;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
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

    /** One subscriber erased while its audience's bitmap cannot be written; its number, the orphan bit back in place. */
    private record Interrupted(int victim, long number, String audienceBits, String segmentBits) {
    }

    private static Interrupted interruptedErasure() {
        int from = range(2);
        loadSubscribers(from, 2, i -> true, i -> true, i -> true);
        String segment = "erasing-" + from;
        putSegment(segment, "tv", emails(from, 2));
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(from, 2)).then().statusCode(200);
        String audienceBits = Keys.key("audience:") + audience + ":members";
        String aside = Keys.key("test:aside:") + audience;
        try (Inspector inspector = new Inspector(); Raw redis = new Raw()) {
            long number = inspector.numberOf(from);
            assertEquals(1, inspector.bit(audienceBits, number));
            redis.commands.rename(audienceBits, aside);
            redis.commands.rpush(audienceBits, "not a bitmap");
            try {
                Response failed = feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(from));
                assertProblem(failed, 503, null);
                assertNotNull(failed.header("Retry-After"));
            } finally {
                redis.commands.del(audienceBits);
                redis.commands.rename(aside, audienceBits);
            }
            assertEquals(-1, inspector.numberOf(from), "the base entry went in the first, atomic step");
            assertTrue(redis.commands.sismember(Keys.key("erasing"), Long.toString(number)), "the erasure is pending");
            assertEquals(1, inspector.bit(audienceBits, number), "the orphan bit a plain retry could not find");
            return new Interrupted(from, number, audienceBits, Keys.key("segment:") + segment);
        }
    }

    @Test
    void aRetryOfTheDeleteFinishesTheInterruptedErasure() {
        Interrupted erasure = interruptedErasure();
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(erasure.victim())).then().statusCode(204);
        try (Inspector inspector = new Inspector(); Raw redis = new Raw()) {
            assertEquals(0, inspector.bit(erasure.audienceBits(), erasure.number()));
            assertEquals(0, inspector.bit(erasure.segmentBits(), erasure.number()));
            assertFalse(redis.commands.sismember(Keys.key("erasing"), Long.toString(erasure.number())));
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
            while (redis.commands.sismember(Keys.key("erasing"), Long.toString(erasure.number()))
                    && System.nanoTime() < deadline) {
                redis.commands.ping();      // a round trip per look, not a sleep
            }
            assertFalse(redis.commands.sismember(Keys.key("erasing"), Long.toString(erasure.number())), "finished at start");
            assertEquals(0, inspector.bit(erasure.audienceBits(), erasure.number()));
            assertEquals(0, inspector.bit(erasure.segmentBits(), erasure.number()));
        }
    }

    /** Plain Redis commands on the test's Redis, to break and mend a key the way a failing store would. */
    private static final class Raw implements AutoCloseable {
        private final RedisClient client = RedisClient.create(TestEnvironment.baseRedis().url());
        private final StatefulRedisConnection<String, String> connection = client.connect();
        final RedisCommands<String, String> commands = connection.sync();

        @Override
        public void close() {
            connection.close();
            client.shutdown();
        }
    }
}
