package be.audiencematch.campaign;

import be.audiencematch.audience.AudienceStore;
import be.audiencematch.changes.SettledWrites;
import be.audiencematch.consent.Channel;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.support.ShardBitmaps;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A campaign's household reach over a base split into shards (docs/scaling.md, "Reads"): each shard's targeted
 * subscribers and their household tags, counted distinct over every shard, since a household's members may live in
 * several. The bitmaps and tags are written here as the sharded writes will place them, in a key space of four shards
 * of its own (on the suite's cluster run, on different primaries).
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ReachShardsTest {

    private static final int SHARDS = 4;
    private static final int SIZE = 48;
    private static final String AUDIENCE = "aud_reachshards00000";
    private static final String EXCLUDED = "aud_reachexcluded000";

    @Inject
    RedisConnections redis;

    @Inject
    SettledWrites settled;

    @Inject
    SubscriberStore base;


    private final KeySpace keys = KeySpace.of("am-reach-shards:", TestEnvironment.cluster(), SHARDS);

    private static IntPredicate targeted(int shard) {
        IntPredicate member = l -> l % 3 != 2;
        IntPredicate consents = l -> l % 5 != shard;
        IntPredicate excluded = l -> l % 11 == 4;
        return l -> member.test(l) && consents.test(l) && !excluded.test(l);
    }

    /** Households of two numbers, the same tags in every shard: most households span shards. Every 8th has none. */
    private static long tag(int local) {
        return local % 8 == 7 ? 0 : 1_000 + local / 2;
    }

    @Test
    void householdsAreCountedDistinctOverEveryShard() {
        Set<Long> households = new HashSet<>();
        long alone = 0;
        long perShardSum = 0;
        for (int s = 0; s < SHARDS; s++) {
            KeySpace.Keys shard = keys.shard(s);
            int of = s;
            ShardBitmaps.write(redis, shard, AudienceStore.membersName(AUDIENCE), SIZE, l -> l % 3 != 2);
            ShardBitmaps.write(redis, shard, SubscriberStore.consentName(Purpose.TV), SIZE, l -> l % 5 != of);
            ShardBitmaps.write(redis, shard, AudienceStore.membersName(EXCLUDED), SIZE, l -> l % 11 == 4);
            ByteBuffer tags = ByteBuffer.allocate(SIZE * 4);
            Set<Long> inShard = new HashSet<>();
            for (int l = 0; l < SIZE; l++) {
                tags.putInt((int) tag(l));
                if (targeted(s).test(l)) {
                    if (tag(l) == 0) {
                        alone++;
                        perShardSum++;
                    } else {
                        households.add(tag(l));
                        inShard.add(tag(l));
                    }
                }
            }
            perShardSum += inShard.size();
            redis.withShared(shard.slot(), r -> r.set(shard.key(SubscriberStore.householdTagsName(0)), tags.array()))
                    .await().indefinitely();
        }
        long expected = households.size() + alone;
        assertTrue(expected < perShardSum, "households span shards, so summing each shard's count would show");

        CampaignStore store = new CampaignStore(redis, settled, base, keys);
        Instant now = Instant.now();
        Campaign campaign = new Campaign("cmp_reachshards00000", "adv-reach", AUDIENCE, Channel.TV, List.of(),
                now, now.plusSeconds(3600), now, List.of(EXCLUDED));
        assertEquals(expected, store.householdReach(campaign).await().indefinitely());
    }
}
