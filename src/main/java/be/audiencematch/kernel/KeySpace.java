package be.audiencematch.kernel;

import io.lettuce.core.cluster.SlotHash;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the base's keys live (docs/architecture.md, "Redis key layout"; docs/scaling.md, "The sharded layout, in
 * detail"). The keys that belong to no subscriber (the layout, the registries, campaigns and their rules, the privacy
 * ledger, rate limits, idempotency) are the {@link #global()} ones. A subscriber's data and every bit that names it
 * live in one of {@link #shards()} shards, each under a hash tag of its own ({@link ShardTags}), so every script still
 * touches one slot while the shards spread over every primary.
 *
 * <p>With one shard, shard 0's keys are the global keys, and both are the keys of a one-slot base: the configured
 * prefix on a standalone Redis ({@code am:live}), the prefix and {@link RedisUrls#ONE_SLOT_TAG} on a cluster
 * ({@code am:{base}:live}). With S shards, shard s's keys are the configured prefix, its tag and the same names
 * ({@code am:{s3-17}:live}); the global keys stay where a one-slot base has them, so the layout that records S is
 * found before S is known.
 *
 * <p>Every path that still reads or writes the base as one shard names its keys through {@link #single()}, which
 * refuses a sharded key space: what is left to fan out is what calls it (docs/scaling.md, "Build order").
 */
public final class KeySpace {

    /** The most shards a base may be split into (AUDIENCE_MATCH_SHARDS). */
    public static final int MAX_SHARDS = 1024;
    /**
     * The shards of a new base on a Redis Cluster when none are configured and the key prefix carries no hash tag of
     * its own: many more than primaries, so a resharding moves whole shards (docs/scaling.md, "Shards").
     */
    public static final int CLUSTER_SHARDS = 64;

    /** The keys under one prefix, all in one hash slot ({@code slot}: 0 for an untagged prefix). */
    public record Keys(String prefix, int slot) {

        /** The key named {@code name} after the prefix. */
        public byte[] key(String name) {
            return name(name).getBytes(StandardCharsets.UTF_8);
        }

        /** The key named {@code name} after the prefix, as text. */
        public String name(String name) {
            return prefix + name;
        }
    }

    private final Keys global;
    private final List<Keys> shards;

    private KeySpace(Keys global, List<Keys> shards) {
        this.global = global;
        this.shards = shards;
    }

    /**
     * How many shards a base has: as configured (AUDIENCE_MATCH_SHARDS), else {@value #CLUSTER_SHARDS} on a cluster
     * under a prefix without a hash tag, else 1 (a standalone Redis; a prefix whose tag puts every key in one slot,
     * as a one-slot base on a cluster was laid out before shards existed).
     */
    public static int shards(Optional<Integer> configured, String prefix, boolean cluster) {
        return configured.orElse(cluster && !RedisUrls.hasHashTag(prefix) ? CLUSTER_SHARDS : 1);
    }

    /**
     * The key space of a base of {@code shards} shards under the {@code configured} prefix.
     *
     * @throws IllegalArgumentException when a sharded base is asked for under a prefix that carries a hash tag of
     *                                  its own (every key would hash to that tag, one slot for all of them)
     */
    public static KeySpace of(String configured, boolean cluster, int shards) {
        String onePrefix = RedisUrls.keyPrefix(configured, cluster);
        Keys global = keys(onePrefix);
        if (shards == 1) {
            return new KeySpace(global, List.of(global));
        }
        if (RedisUrls.hasHashTag(configured)) {
            throw new IllegalArgumentException("a base of " + shards + " shards needs a key prefix without a hash "
                    + "tag (each shard carries its own): " + configured);
        }
        List<Keys> all = new ArrayList<>(shards);
        for (int s = 0; s < shards; s++) {
            String prefix = configured + ShardTags.tag(s, shards) + ":";
            all.add(keys(prefix));
        }
        return new KeySpace(global, List.copyOf(all));
    }

    /** A prefix's keys; their slot is its tag's, or 0 for an untagged prefix (a standalone Redis: any slot). */
    private static Keys keys(String prefix) {
        return new Keys(prefix, RedisUrls.hasHashTag(prefix) ? SlotHash.getSlot(prefix) : 0);
    }

    /** The keys that belong to no subscriber. */
    public Keys global() {
        return global;
    }

    /** How many shards the base is split into. */
    public int shards() {
        return shards.size();
    }

    /** Every shard's keys, shard 0 first. */
    public List<Keys> everyShard() {
        return shards;
    }

    /** Shard {@code shard}'s keys. */
    public Keys shard(int shard) {
        return shards.get(shard);
    }

    /** The shard of global subscriber number {@code number} (g mod S: docs/scaling.md, "Numbers"). */
    public int shardOf(long number) {
        return (int) Long.remainderUnsigned(number, shards.size());
    }

    /**
     * The one shard of a base laid out as one: for the paths that do not fan out over shards yet.
     *
     * @throws IllegalStateException on a sharded key space
     */
    public Keys single() {
        if (shards.size() != 1) {
            throw new IllegalStateException("this path reads and writes one shard only, the base has "
                    + shards.size() + " (docs/scaling.md, \"Build order\")");
        }
        return shards.get(0);
    }
}
