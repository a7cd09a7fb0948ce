package be.audiencematch.kernel;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardTagsTest {

    @Test
    void eachShardsTagFallsInItsOwnPartOfTheSlots() {
        for (int shards : new int[] {1, 3, 16, 256, 1024}) {
            Set<String> tags = new HashSet<>();
            for (int s = 0; s < shards; s++) {
                String tag = ShardTags.tag(s, shards);
                int slot = SlotHash.getSlot(tag);
                assertTrue(slot >= (long) s * 16384 / shards && slot < (long) (s + 1) * 16384 / shards, tag);
                assertEquals(slot, SlotHash.getSlot(tag + ":live"), "the braces make it the key's tag");
                tags.add(tag);
            }
            assertEquals(shards, tags.size());
        }
    }

    @Test
    void threePrimariesWithEqualSlotRangesHoldFloorOrCeilOfTheShards() {
        // redis-cli --cluster create gives three primaries 0-5460, 5461-10922 and 10923-16383.
        int[] held = new int[3];
        for (int s = 0; s < 256; s++) {
            int slot = SlotHash.getSlot(ShardTags.tag(s, 256));
            held[slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2]++;
        }
        for (int count : held) {
            assertTrue(count == 85 || count == 86, java.util.Arrays.toString(held));
        }
    }

    @Test
    void aShardOutsideTheLayoutIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ShardTags.tag(4, 4));
        assertThrows(IllegalArgumentException.class, () -> ShardTags.tag(0, 0));
    }
}
