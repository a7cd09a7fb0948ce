package be.audiencematch.consent;

import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A subscriber's write in a base of one shard: one script, atomic, that writes the record, its bits and its links
 * together (subscriber_upsert.lua, subscriber_erase.lua); a base of several shards writes them in three steps
 * ({@link ShardedSubscriberWrites}).
 */
final class OneShardWrites {

    // subscriber_lib's helpers use index_lib's, so every script with the one has the other.
    static final RedisScript UPSERT =
            RedisScript.load("subscriber_upsert", "view_lib", "audit_lib", "index_lib", "record_lib",
                    "consent_lib", "subscriber_lib");
    static final RedisScript ERASE =
            RedisScript.load("subscriber_erase", "view_lib", "audit_lib", "index_lib", "record_lib",
                    "consent_lib", "subscriber_lib");

    private final SubscriberStore store;
    private final RedisConnections redis;

    OneShardWrites(SubscriberStore store, RedisConnections redis) {
        this.store = store;
        this.redis = redis;
    }

    /**
     * Runs a subscriber script that declares its keys (subscriber_lib.lua, subscriber_fixed_keys and
     * subscriber_named_keys): the record bucket, the consent times beside it, the fixed keys
     * ({@link SubscriberStore#fixedKeys}), then those {@code names} name; when the record it finds needs others (its
     * old identifiers' buckets), the script writes nothing and names them, and the call goes again with them.
     * Answers the script's number.
     */
    Uni<Long> declaring(RedisScript script, String subscriberId, ChangeKeys changes, byte[][] args,
                        List<String> names, int attempt) {
        int bucket = store.buckets().ofId(subscriberId);
        List<byte[]> keys = new ArrayList<>(List.of(store.recordKey(bucket), store.consentTimesKey(bucket)));
        keys.addAll(List.of(store.fixedKeys(changes)));
        List<byte[]> argv = new ArrayList<>(List.of(args));
        argv.add(Integer.toString(names.size()).getBytes(StandardCharsets.US_ASCII));
        for (String name : names) {
            keys.add(store.keyOf(name));
            argv.add(name.getBytes(StandardCharsets.UTF_8));
        }
        int slot = store.keySpace().single().slot();
        return redis.withShared(slot, r -> script.<List<Object>>run(r, ScriptOutputType.MULTI,
                keys.toArray(new byte[0][]), argv.toArray(new byte[0][]))).flatMap(reply -> {
                    if (reply.get(0) instanceof Long number) {
                        return Uni.createFrom().item(number);
                    }
                    return declaring(script, subscriberId, changes, args, AskedKeys.again(names, reply, attempt,
                            "the subscriber kept changing during the write"), attempt + 1);
                });
    }
}
