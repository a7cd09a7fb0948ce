package be.audiencematch.kernel;

import io.lettuce.core.cluster.SlotHash;

/**
 * The hash tags of a sharded layout's shards (docs/scaling.md, "The sharded layout, in detail"): shard s of S gets
 * {@code {s<s>-<k>}} with the smallest k whose CRC16 slot lies in the s-th S-th of the 16,384 slots. Any contiguous
 * assignment of slots to P primaries (what {@code redis-cli --cluster create} and rebalancing produce) then gives every
 * primary floor or ceil of S/P shards, where plain tags leave it to CRC16's luck (s000 to s255 fall 93, 80 and 83 on
 * three equal primaries).
 */
public final class ShardTags {

    private ShardTags() {
    }

    /** The hash tag of shard {@code shard} of {@code shards}, braces included. */
    public static String tag(int shard, int shards) {
        if (shards < 1 || shards > SlotHash.SLOT_COUNT || shard < 0 || shard >= shards) {
            throw new IllegalArgumentException("shard " + shard + " of " + shards);
        }
        long from = (long) shard * SlotHash.SLOT_COUNT / shards;
        long to = (long) (shard + 1) * SlotHash.SLOT_COUNT / shards;
        for (int k = 0; ; k++) {
            String tag = "{s" + shard + "-" + k + "}";
            int slot = SlotHash.getSlot(tag);
            if (slot >= from && slot < to) {
                return tag;
            }
        }
    }
}
