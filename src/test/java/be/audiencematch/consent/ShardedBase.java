package be.audiencematch.consent;

import be.audiencematch.changes.ChangeLog;
import be.audiencematch.changes.SettledWrites;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.support.TestEnvironment;
import io.vertx.core.Vertx;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A base of several shards of a test's own (a prefix of its own, on the suite's Redis or cluster), with its change log,
 * for the tests of what the sharded writes place where (docs/scaling.md, "Placement"), and reads of it as an auditor
 * would make them: a subscriber's global number from its record, a household's members from its list.
 */
final class ShardedBase {

    static final Duration AT_MOST = Duration.ofSeconds(30);

    final KeySpace keys;
    final SubscriberStore store;
    final SettledWrites settled;
    private final RedisConnections redis;

    ShardedBase(RedisConnections redis, Vertx vertx, AudienceMatchConfig config, String name, int shards) {
        this.redis = redis;
        this.keys = KeySpace.of("am-" + name + "-" + System.nanoTime() + ":", TestEnvironment.cluster(), shards);
        this.store = new SubscriberStore(redis, keys, 12);
        this.settled = new SettledWrites(new ChangeLog(redis, vertx, keys, config.eligibility().view(),
                config.redis()));
        store.settled = settled;
    }

    /** The subscriber's global number (l × S + s), from its record in its home shard. */
    long numberOf(String id) {
        int shard = store.homeShard(id);
        byte[] record = redis.withShared(keys.shard(shard).slot(), r -> r.hget(store.recordKey(store.buckets()
                .ofId(id)), id.getBytes(StandardCharsets.UTF_8))).await().atMost(AT_MOST);
        return (ByteBuffer.wrap(record).getInt() & 0xffffffffL) * keys.shards() + shard;
    }

    /** The household's members (global numbers), read in its bucket's shard, in ascending order. */
    List<Long> household(String id) {
        int bucket = store.householdBuckets().ofId(id);
        byte[] members = redis.withShared(keys.shard(store.householdShard(id)).slot(),
                r -> r.hget(store.householdKey(bucket), id.getBytes(StandardCharsets.UTF_8))).await().atMost(AT_MOST);
        List<Long> out = new ArrayList<>();
        for (int at = 0; members != null && at < members.length; at += 4) {
            out.add(ByteBuffer.wrap(members, at, 4).getInt() & 0xffffffffL);
        }
        // Members come in the order their home shards linked them: compared as a set.
        out.sort(null);
        return out;
    }
}
