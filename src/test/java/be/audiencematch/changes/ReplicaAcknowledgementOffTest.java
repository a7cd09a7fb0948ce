package be.audiencematch.changes;

import be.audiencematch.support.ReplicatedEnvironment;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static be.audiencematch.changes.ReplicaAcknowledgementTest.create;
import static be.audiencematch.changes.ReplicaAcknowledgementTest.withdrawTv;
import static be.audiencematch.support.Fixtures.range;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counterpart of {@link ReplicaAcknowledgementTest}: with the wait off
 * ({@code AUDIENCE_MATCH_REDIS_WAIT_REPLICAS=0}), a withdrawal is acknowledged while the replica is frozen, so the
 * replica has not confirmed it: a failover then would lose an acknowledged withdrawal.
 */
@QuarkusTest
@DisabledIfSystemProperty(named = TestEnvironment.TOPOLOGY, matches = "cluster",
        disabledReason = "needs a standalone primary with a real replica (WAIT)")
@TestProfile(ReplicaAcknowledgementOffTest.NoWait.class)
@WithTestResource(ReplicatedEnvironment.class)
class ReplicaAcknowledgementOffTest {

    public static class NoWait implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("audience-match.redis.wait.replicas", "0");
        }
    }

    @Test
    void withoutTheWaitAWithdrawalIsAcknowledgedWhileTheReplicaLags() throws Exception {
        ReplicatedEnvironment.awaitOnlineReplica();
        int i = range(1);
        create(i);
        RedisClient client = RedisClient.create(ReplicatedEnvironment.primary().url());
        ReplicatedEnvironment.replica().suspend();
        try (StatefulRedisConnection<String, String> primary = client.connect()) {
            long started = System.nanoTime();
            withdrawTv(i).then().statusCode(204);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(millis < 900, "acknowledged without waiting: " + millis + " ms");
            // The primary's own account: what it has written versus what the replica confirmed (a frozen replica
            // confirms nothing more).
            String info = primary.sync().info("replication");
            long written = field(info, "master_repl_offset:(\\d+)");
            long confirmed = field(info, "slave0:.*offset=(\\d+)");
            assertTrue(confirmed < written, "the replica had not confirmed the acknowledged write");
        } finally {
            ReplicatedEnvironment.replica().resume();
            client.shutdown();
        }
    }

    private static long field(String info, String pattern) {
        Matcher m = Pattern.compile(pattern).matcher(info);
        assertTrue(m.find(), "INFO replication names " + pattern);
        return Long.parseLong(m.group(1));
    }
}
