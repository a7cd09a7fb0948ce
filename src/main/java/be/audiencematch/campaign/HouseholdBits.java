package be.audiencematch.campaign;

import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToIntFunction;

import static be.audiencematch.redis.Bytes.bytes;

/**
 * What eligibility from Redis reads of a household ({@link CampaignStore#eligible}): its member list, then its
 * members' bits in the consent bitmaps and the bitmaps the rules name, read in each member's home shard at its local
 * number (g mod S, g div S: docs/scaling.md, "Numbers" and "Reads"), one call a shard that holds members, all at once
 * ({@code campaign_member_bits.lua}, every key declared).
 */
final class HouseholdBits {

    private static final RedisScript MEMBER_BITS = RedisScript.load("campaign_member_bits");
    private static final Purpose[] PURPOSES = {Purpose.TV, Purpose.WEB, Purpose.ADS_AND_DATA};

    private final RedisConnections redis;
    private final KeySpace keys;
    private final Function<String, byte[]> householdKey;
    private final ToIntFunction<String> householdShard;

    HouseholdBits(RedisConnections redis, KeySpace keys, Function<String, byte[]> householdKey,
                  ToIntFunction<String> householdShard) {
        this.redis = redis;
        this.keys = keys;
        this.householdKey = householdKey;
        this.householdShard = householdShard;
    }

    /** The household's members (global numbers); none for a household Redis does not hold. */
    Uni<int[]> members(String householdId) {
        // A household's list lives in its bucket's shard (docs/scaling.md, "Placement").
        return redis.withShared(keys.shard(householdShard.applyAsInt(householdId)).slot(), r -> r.hget(householdKey.apply(householdId), bytes(householdId)))
                .map(packed -> packed == null ? new int[0] : EligibilityRule.members(packed));
    }

    /** The members' bits in the consents and in the bitmaps {@code named}, as the rules read them. */
    Uni<EligibilityRule.Bitmaps> bits(int[] members, List<String> named) {
        int shards = keys.shards();
        Map<KeySpace.Keys, List<Integer>> byShard = new LinkedHashMap<>();
        for (int g : members) {
            long number = Integer.toUnsignedLong(g);
            byShard.computeIfAbsent(keys.shard(keys.shardOf(number)), s -> new ArrayList<>()).add(g);
        }
        List<KeySpace.Keys> where = new ArrayList<>(byShard.keySet());
        return redis.onEach(where, (shard, r) -> {
            List<Integer> in = byShard.get(shard);
            byte[][] declared = new byte[3 + named.size()][];
            for (int p = 0; p < 3; p++) {
                declared[p] = shard.key(SubscriberStore.consentName(PURPOSES[p]));
            }
            for (int i = 0; i < named.size(); i++) {
                declared[3 + i] = shard.key(named.get(i));
            }
            byte[][] locals = new byte[in.size()][];
            for (int k = 0; k < in.size(); k++) {
                locals[k] = bytes(Long.toString(Integer.toUnsignedLong(in.get(k)) / shards));
            }
            return MEMBER_BITS.<List<byte[]>>run(r, ScriptOutputType.MULTI, declared, locals);
        }).map(replies -> {
            Read read = new Read();
            for (int i = 0; i < where.size(); i++) {
                List<Integer> in = byShard.get(where.get(i));
                List<byte[]> lines = replies.get(i);
                for (int k = 0; k < lines.size(); k++) {
                    Set<Integer> set = k < 3 ? read.consents[k]
                            : read.named.computeIfAbsent(named.get(k - 3), n -> new HashSet<>());
                    byte[] line = lines.get(k);
                    for (int m = 0; m < line.length; m++) {
                        if (line[m] == '1') {
                            set.add(in.get(m));
                        }
                    }
                }
            }
            return read;
        });
    }

    /** The bits read: the members whose bit is set, by bitmap. A household is a few numbers. */
    private static final class Read implements EligibilityRule.Bitmaps {
        @SuppressWarnings("unchecked")
        final Set<Integer>[] consents = new Set[] {new HashSet<>(), new HashSet<>(), new HashSet<>()};
        final Map<String, Set<Integer>> named = new HashMap<>();

        @Override
        public EligibilityRule.Bits consent(Purpose purpose) {
            return consents[purpose.ordinal()]::contains;
        }

        @Override
        public EligibilityRule.Bits named(String name) {
            Set<Integer> in = named.get(name);
            return in == null ? EligibilityRule.NOBODY : in::contains;
        }
    }
}
