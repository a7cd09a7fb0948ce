package be.audiencematch.audience;

import be.audiencematch.changes.SettledWrites;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.segment.SegmentStore;
import be.audiencematch.support.ShardBitmaps;
import be.audiencematch.support.TestEnvironment;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * An erasure's clean-up over a base split into shards (consent/MemberEraser, redis/MemberBits): the registries are
 * read on the global keys, the bit is cleared in the subscriber's home shard only, at its number there (global number
 * g is bit g div S of shard g mod S). The bitmaps are written here as the sharded writes will place them, in a key
 * space of four shards of its own (on the suite's cluster run, on different primaries).
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ErasureShardsTest {

    private static final int SHARDS = 4;
    private static final int SIZE = 16;

    @Inject
    RedisConnections redis;

    @Inject
    SettledWrites settled;

    @Inject
    SubscriberStore base;

    @Inject
    ObjectMapper json;

    private final KeySpace keys = KeySpace.of("am-erasure-shards:", TestEnvironment.cluster(), SHARDS);

    @Test
    void theBitIsClearedInTheHomeShardOnlyAtTheNumberThere() {
        String audience = "aud_erasureshards000";
        String expired = "aud_erasureexpired00";
        List<String> names = List.of(SegmentStore.bitmapName("seg-e"), AudienceStore.membersName(audience),
                AudienceStore.membersName(expired));
        for (int s = 0; s < SHARDS; s++) {
            for (String name : names) {
                ShardBitmaps.write(redis, keys.shard(s), name, SIZE, l -> true);
            }
        }
        KeySpace.Keys global = keys.global();
        redis.withShared(global.slot(), r -> {
            r.hset(global.key("segments"), bytes("seg-e"), bytes("{\"channel\":\"tv\"}"));
            r.hset(global.key("audience:" + audience), bytes("advertiser"), bytes("adv-erasure"));
            return r.sadd(global.key("audiences"), bytes(audience), bytes(expired));
        }).await().indefinitely();

        long number = 5L * SHARDS + 2;
        new SegmentStore(redis, settled, base, json, keys).eraseMember(number).await().indefinitely();
        new AudienceStore(redis, settled, keys).eraseMember(number).await().indefinitely();

        for (int s = 0; s < SHARDS; s++) {
            for (String name : names) {
                for (int l = 0; l < SIZE; l++) {
                    boolean erased = s == 2 && l == 5 && !name.equals(AudienceStore.membersName(expired));
                    assertEquals(erased ? 0L : 1L, bit(keys.shard(s), name, l), name + " shard " + s + " bit " + l);
                }
            }
        }
        assertFalse(redis.withShared(global.slot(), r -> r.sismember(global.key("audiences"), bytes(expired)))
                .await().indefinitely(), "an audience whose metadata expired leaves the registry");
    }

    private long bit(KeySpace.Keys shard, String name, int offset) {
        return redis.withShared(shard.slot(), r -> r.getbit(shard.key(name), offset)).await().indefinitely();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
