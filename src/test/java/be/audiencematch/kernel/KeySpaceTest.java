package be.audiencematch.kernel;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the base's keys live (KeySpace; docs/scaling.md, "Shards and tags"). */
class KeySpaceTest {

    @Test
    void aClusterUnderAnUntaggedPrefixIsShardedUnlessConfiguredOtherwise() {
        assertEquals(KeySpace.CLUSTER_SHARDS, KeySpace.shards(Optional.empty(), "am:", true));
        assertEquals(1, KeySpace.shards(Optional.empty(), "am:", false), "a standalone Redis: one shard");
        assertEquals(1, KeySpace.shards(Optional.empty(), "{am}:", true), "an own tag keeps the one-slot base");
        assertEquals(1, KeySpace.shards(Optional.of(1), "am:", true), "the one-slot base one setting away");
        assertEquals(8, KeySpace.shards(Optional.of(8), "am:", false));
    }

    @Test
    void oneShardIsTheOneSlotBaseOfEarlierVersionsKeyForKey() {
        KeySpace standalone = KeySpace.of("am:", false, 1);
        assertEquals("am:live", standalone.single().name("live"));
        assertEquals("am:layout", standalone.global().name("layout"));
        assertSame(standalone.global(), standalone.shard(0));
        assertEquals(0, standalone.global().slot());

        KeySpace cluster = KeySpace.of("am:", true, 1);
        assertEquals("am:{base}:live", cluster.single().name("live"));
        assertEquals(SlotHash.getSlot("base"), cluster.global().slot());
        assertSame(cluster.global(), cluster.shard(0));

        KeySpace ownTag = KeySpace.of("{am}:", true, 1);
        assertEquals("{am}:live", ownTag.single().name("live"), "an operator's own tag is kept");
        assertEquals(SlotHash.getSlot("am"), ownTag.single().slot());
    }

    @Test
    void shardsCarryTagsSpreadOverTheSlotsAndTheGlobalKeysStayWhereTheLayoutIsFound() {
        int shards = 64;
        KeySpace keys = KeySpace.of("am:", true, shards);
        assertEquals(shards, keys.shards());
        assertEquals("am:{base}:layout", keys.global().name("layout"), "found before the shard count is known");
        Set<Integer> slots = new HashSet<>();
        for (int s = 0; s < shards; s++) {
            KeySpace.Keys shard = keys.shard(s);
            assertEquals("am:" + ShardTags.tag(s, shards) + ":live", shard.name("live"));
            assertEquals(SlotHash.getSlot(shard.name("live")), shard.slot(), "every key of a shard in its slot");
            assertEquals(SlotHash.getSlot(shard.name("sub:00af")), shard.slot());
            assertTrue(shard.slot() >= s * 16_384 / shards && shard.slot() < (s + 1) * 16_384 / shards,
                    "shard " + s + " in its own S-th of the slots");
            slots.add(shard.slot());
        }
        assertEquals(shards, slots.size());
        assertEquals(5, keys.shardOf(64L * 1_000 + 5), "g mod S");
        assertEquals(63, keys.shardOf(0xFFFF_FFFFL), "numbers are unsigned 32-bit");
    }

    @Test
    void aPathThatReadsOneShardRefusesAShardedBaseAndAPrefixWithItsOwnTagCannotBeSharded() {
        IllegalStateException oneShardOnly = assertThrows(IllegalStateException.class,
                () -> KeySpace.of("am:", true, 64).single());
        assertTrue(oneShardOnly.getMessage().contains("64"));
        IllegalArgumentException tagged = assertThrows(IllegalArgumentException.class,
                () -> KeySpace.of("{am}:", true, 64));
        assertTrue(tagged.getMessage().contains("hash tag"));
    }
}
