package be.audiencematch.redis;

import be.audiencematch.kernel.KeySpace;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Clears an erased subscriber's bit in every bitmap a registry names (an erasure's clean-up: consent/MemberEraser).
 * The registry is read on the global keys by its store, the bitmaps are named here in the subscriber's home shard:
 * global number g is bit g div S of shard g mod S (docs/scaling.md, "Numbers"), so every key the script touches is
 * declared and in one slot (bitmap_clear_bit.lua).
 */
public final class MemberBits {

    private static final RedisScript CLEAR_BIT = RedisScript.load("bitmap_clear_bit");

    private MemberBits() {
    }

    /** How many of the bitmaps named {@code names} (in any shard) held subscriber {@code number}'s bit. */
    public static Uni<Long> clear(RedisConnections redis, KeySpace keys, List<String> names, long number) {
        if (names.isEmpty()) {
            return Uni.createFrom().item(0L);
        }
        KeySpace.Keys home = keys.shard(keys.shardOf(number));
        byte[][] bitmaps = names.stream().map(home::key).toArray(byte[][]::new);
        byte[] bit = Long.toString(Long.divideUnsigned(number, keys.shards())).getBytes(StandardCharsets.US_ASCII);
        return redis.withShared(home.slot(), r -> CLEAR_BIT.<Long>run(r, ScriptOutputType.INTEGER, bitmaps, bit));
    }
}
