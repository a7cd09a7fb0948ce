package be.audiencematch.support;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;

import java.util.function.IntPredicate;

/**
 * Writes a shard's bitmaps as the sharded writes will place them (docs/scaling.md, "Placement"), for the tests of
 * the reads that fan out over shards: through the service's own connections, so each lands on its slot's primary.
 */
public final class ShardBitmaps {

    private ShardBitmaps() {
    }

    /** Bits 0..size-1 of the bitmap {@code name} in {@code shard}, as {@code in} says (bit 0: the first byte's top). */
    public static void write(RedisConnections redis, KeySpace.Keys shard, String name, int size, IntPredicate in) {
        byte[] raw = new byte[(size + 7) / 8];
        for (int l = 0; l < size; l++) {
            if (in.test(l)) {
                raw[l / 8] |= (byte) (0x80 >>> (l % 8));
            }
        }
        redis.withShared(shard.slot(), r -> r.set(shard.key(name), raw)).await().indefinitely();
    }
}
