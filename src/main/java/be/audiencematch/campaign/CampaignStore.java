package be.audiencematch.campaign;

import be.audiencematch.audience.AudienceStore;
import be.audiencematch.changes.SettledWrites;
import be.audiencematch.consent.Channel;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.records.OwnedRecords;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import be.audiencematch.segment.SegmentStore;

import static be.audiencematch.redis.Bytes.bytes;
import static be.audiencematch.redis.Bytes.str;
import io.lettuce.core.BitFieldArgs;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Campaigns in Redis. Nothing per subscriber is stored here: a campaign's targeted set is evaluated live from the
 * audience, segment and consent bitmaps, so a withdrawal, an erasure or a deletion shows in the very next answer.
 * <pre>
 *   {p}campaign:{id}                 hash  advertiser, audience, channel, purpose, segments, starts/ends
 *                                          (TTL: the audience's expiry)
 *   {p}advertiser:{sub}:campaigns    set   the advertiser's campaign ids (pruned when listed)
 *   {p}campaigns                     set   every campaign id (pruned when listed)
 *   {p}campaign-rules                hash  campaign id → the packed rule eligibility reads: window, purpose,
 *                                          audience id, segment ids, excluded audience ids (CampaignRuleFormat);
 *                                          written with the campaign, removed first on deletion, pruned when listed
 * </pre>
 */
@ApplicationScoped
public class CampaignStore {

    private static final RedisScript TARGET = RedisScript.load("campaign_target", "bitmap_lib");
    private static final RedisScript BACKFILL = RedisScript.load("campaign_rule_backfill", "view_lib", "rule_lib");
    private static final RedisScript DELETE = RedisScript.load("campaign_delete", "view_lib");
    private static final int TAG_BATCH = 1024;

    private final RedisConnections redis;
    private final KeySpace keys;
    private final KeySpace.Keys global;
    private final byte[] rulesKey;
    private final SettledWrites settled;
    private final HouseholdBits households;

    @Inject
    public CampaignStore(RedisConnections redis, SettledWrites settled, SubscriberStore base, KeySpace keys) {
        this(redis, settled, base::householdKey, base::householdShard, keys);
    }

    /**
     * @param householdKey   the key of a household id's bucket
     * @param householdShard the shard holding it (docs/scaling.md, "Placement")
     */
    public CampaignStore(RedisConnections redis, SettledWrites settled, Function<String, byte[]> householdKey,
                         java.util.function.ToIntFunction<String> householdShard, KeySpace keys) {
        this.redis = redis;
        this.keys = keys;
        this.global = keys.global();
        this.rulesKey = global.key("campaign-rules");
        this.settled = settled;
        this.households = new HouseholdBits(redis, keys, householdKey, householdShard);
    }

    /** The hash of packed campaign rules, by campaign id (what the hot path reads). */
    public byte[] rulesKey() {
        return rulesKey;
    }

    /**
     * Stores the campaign until {@code keepUntil} (its audience's expiry), so "ended" stays visible till then;
     * completes once every eligibility view has its rule (as every write here: changes/SettledWrites).
     */
    public Uni<Void> create(Campaign c, Instant keepUntil) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("advertiser", c.advertiser());
        fields.put("audience", c.audienceId());
        fields.put("channel", c.channel().wireName());
        fields.put("purpose", c.channel().purpose().wireName());
        fields.put("segments", String.join(",", c.segments()));
        fields.put("excluded", String.join(",", c.excludedAudienceIds()));
        fields.put("starts_ms", Long.toString(c.startsAt().toEpochMilli()));
        fields.put("ends_ms", Long.toString(c.endsAt().toEpochMilli()));
        fields.put("created_at", c.createdAt().toString());
        return settled.write(changes -> redis.withShared(r -> OwnedRecords.create(r, campaignKey(c.id()),
                advertiserKey(c.advertiser()), allKey(), rulesKey, rule(c), changes, c.id(), keepUntil, fields)))
                .replaceWithVoid();
    }

    public Uni<Optional<Campaign>> find(String id) {
        return redis.withShared(r -> r.hgetall(campaignKey(id)))
                .map(fields -> fields.isEmpty() ? Optional.empty() : Optional.of(parse(id, fields)));
    }

    public Uni<List<Campaign>> listOf(String advertiser) {
        return redis.withShared(r -> OwnedRecords.live(r, advertiserKey(advertiser), List.of(allKey()), rulesKey, this::campaignKey,
                CampaignStore::parse));
    }

    /** Stops the campaign at once: the next eligibility answer no longer sees it. */
    public Uni<Void> delete(Campaign c) {
        return settled.write(changes -> redis.withShared(r -> DELETE.run(r, ScriptOutputType.INTEGER,
                new byte[][] {rulesKey, advertiserKey(c.advertiser()), allKey(), campaignKey(c.id()), changes.seq(),
                    changes.stream()}, bytes(c.id()))))
                .replaceWithVoid();
    }

    /**
     * The eligible ids among {@code candidates} (every campaign when empty), from Redis: the rules and the household's
     * members read at once, then the members' bits in each shard that holds some of them, each in one call
     * (HouseholdBits), and the rules evaluated here by EligibilityRule, as the views do (docs/architecture.md,
     * "Flows", eligibility). A missing rule, or one not active at {@code now}, is not eligible.
     */
    public Uni<List<String>> eligible(String householdId, List<String> candidates, Instant now) {
        long nowMs = now.toEpochMilli();
        Uni<Map<String, EligibilityRule>> rules = redis.withShared(global.slot(), r -> activeRules(r, candidates,
                nowMs));
        // Both asked at once: one round trip, then one more for the bits.
        return Uni.combine().all().unis(rules, households.members(householdId)).asTuple().flatMap(both -> {
            Map<String, EligibilityRule> active = both.getItem1();
            int[] members = both.getItem2();
            if (active.isEmpty() || members.length == 0) {
                return Uni.createFrom().item(List.<String>of());
            }
            Set<String> named = new LinkedHashSet<>();
            active.values().forEach(rule -> named.addAll(rule.bitmapNames()));
            return households.bits(members, List.copyOf(named)).map(bits -> {
                List<String> eligible = new ArrayList<>();
                active.forEach((id, rule) -> {
                    if (rule.eligible(members, bits, nowMs)) {
                        eligible.add(id);
                    }
                });
                return eligible;
            });
        });
    }

    /** The rules of these candidates (every campaign when none) active at {@code nowMs}, in the order asked. */
    private CompletionStage<Map<String, EligibilityRule>> activeRules(RedisAsyncCommands<byte[], byte[]> r,
                                                                      List<String> candidates, long nowMs) {
        String shardZero = keys.shard(0).prefix();
        Map<String, EligibilityRule> active = new LinkedHashMap<>();
        BiConsumer<byte[], byte[]> keep = (id, packed) -> {
            EligibilityRule rule = packed == null ? null : EligibilityRule.of(CampaignRuleFormat.decode(packed),
                    shardZero);
            if (rule != null && rule.activeAt(nowMs)) {
                active.put(str(id), rule);
            }
        };
        if (candidates.isEmpty()) {
            return r.hgetall(rulesKey).thenApply(all -> {
                all.forEach(keep);
                return active;
            });
        }
        byte[][] ids = candidates.stream().map(id -> bytes(id)).toArray(byte[][]::new);
        return r.hmget(rulesKey, ids).thenApply(read -> {
            read.forEach(kv -> keep.accept(kv.getKey(), kv.getValueOrElse(null)));
            return active;
        });
    }

    /** The rule eligibility reads (CampaignRuleFormat, version 2: the audiences by id). */
    byte[] rule(Campaign c) {
        return CampaignRuleFormat.encode(c.startsAt().toEpochMilli(), c.endsAt().toEpochMilli(),
                c.channel().purpose(), c.audienceId(), c.segments(), c.excludedAudienceIds());
    }

    void onStart(@Observes StartupEvent started) {
        backfillRules().subscribe().with(n -> { },
                failure -> Log.warnf("campaign rules not backfilled yet: %s", failure.getMessage()));
    }

    /**
     * Gives every campaign stored before rules existed its rule (at start), so that an upgraded service keeps
     * answering for them; until then they are not eligible (fail closed). Returns how many rules were written.
     */
    public Uni<Integer> backfillRules() {
        return settled.write(changes -> redis.withShared(r -> r.smembers(allKey()).thenCompose(ids -> {
            List<CompletableFuture<Long>> writes = new ArrayList<>();
            for (byte[] id : ids) {
                writes.add(r.hexists(rulesKey, id).thenCompose(has -> has ? CompletableFuture.completedFuture(0L)
                        : r.hgetall(campaignKey(str(id))).thenCompose(fields -> fields.isEmpty()
                                ? CompletableFuture.completedFuture(0L)
                                : BACKFILL.<Long>run(r, ScriptOutputType.INTEGER, new byte[][] {campaignKey(str(id)), rulesKey,
                                                changes.seq(), changes.stream()},
                                        id, rule(parse(str(id), fields)))))
                        .toCompletableFuture());
            }
            return CompletableFuture.allOf(writes.toArray(new CompletableFuture[0]))
                    .thenApply(done -> writes.stream().mapToInt(w -> w.join().intValue()).sum());
        })));
    }

    /**
     * How many households hold at least one targeted subscriber now (exact; shown only through privacy): in every
     * shard at once, the targeted set as a bitmap, then each member's household tag, read a batch at a time; the tags
     * are counted distinct here, since a household's members may live in several shards (docs/scaling.md, "Reads").
     */
    public Uni<Long> householdReach(Campaign c) {
        List<String> anded = new ArrayList<>();
        anded.add(AudienceStore.membersName(c.audienceId()));
        c.segments().forEach(s -> anded.add(SegmentStore.bitmapName(s)));
        anded.add(SubscriberStore.consentName(c.channel().purpose()));
        if (c.channel().purpose() != Purpose.TV) {
            anded.add(SubscriberStore.consentName(Purpose.TV));
        }
        List<String> excluded = c.excludedAudienceIds().stream().map(AudienceStore::membersName).toList();
        return redis.onEach(keys.everyShard(), (shard, r) -> reachIn(shard, r, anded, excluded)).map(reached -> {
            Set<Long> households = new HashSet<>();
            long people = 0;
            for (ShardReach part : reached) {
                households.addAll(part.households());
                people += part.alone();
            }
            // A subscriber without a household is a household of one.
            return households.size() + people;
        });
    }

    /** One shard's part of a campaign's reach: its targeted subscribers' household tags, and how many have none. */
    private record ShardReach(Set<Long> households, long alone) {
    }

    private CompletionStage<ShardReach> reachIn(KeySpace.Keys shard, RedisAsyncCommands<byte[], byte[]> r,
                                                List<String> anded, List<String> excluded) {
        List<byte[]> named = new ArrayList<>();
        named.add(shard.key("scratch:campaign-target"));
        anded.forEach(name -> named.add(shard.key(name)));
        named.add(shard.key("scratch:campaign-excluded"));
        excluded.forEach(name -> named.add(shard.key(name)));
        return TARGET.<byte[]>run(r, ScriptOutputType.VALUE, named.toArray(new byte[0][]),
                        bytes(Integer.toString(anded.size())))
                .thenCompose(bits -> {
                    List<Integer> numbers = setBits(bits);
                    List<CompletableFuture<List<Long>>> reads = new ArrayList<>();
                    for (int[] batch : tagBatches(numbers, SubscriberStore.HOUSEHOLD_TAG_BLOCK, TAG_BATCH)) {
                        int first = numbers.get(batch[0]) / SubscriberStore.HOUSEHOLD_TAG_BLOCK
                                * SubscriberStore.HOUSEHOLD_TAG_BLOCK;
                        BitFieldArgs fields = new BitFieldArgs();
                        for (int n : numbers.subList(batch[0], batch[1])) {
                            fields.get(BitFieldArgs.unsigned(32), BitFieldArgs.typeWidthBasedOffset(n - first));
                        }
                        reads.add(r.bitfield(shard.key(SubscriberStore.householdTagsName(numbers.get(batch[0]))),
                                fields).toCompletableFuture());
                    }
                    return CompletableFuture.allOf(reads.toArray(new CompletableFuture[0])).thenApply(done -> {
                        Set<Long> households = new HashSet<>();
                        long alone = 0;
                        for (CompletableFuture<List<Long>> read : reads) {
                            for (Long tag : read.join()) {
                                if (tag != null && tag != 0) {
                                    households.add(tag);
                                } else {
                                    alone++;
                                }
                            }
                        }
                        return new ShardReach(households, alone);
                    });
                });
    }

    /**
     * Index ranges [from, to) of ascending {@code numbers}, each at most {@code batch} long and within one block of
     * household tags ({@code block} numbers a key: SubscriberStore.HOUSEHOLD_TAG_BLOCK), one BITFIELD read each.
     */
    static List<int[]> tagBatches(List<Integer> numbers, int block, int batch) {
        List<int[]> batches = new ArrayList<>();
        int from = 0;
        while (from < numbers.size()) {
            int of = numbers.get(from) / block;
            int to = from + 1;
            while (to < numbers.size() && to - from < batch && numbers.get(to) / block == of) {
                to++;
            }
            batches.add(new int[] {from, to});
            from = to;
        }
        return batches;
    }

    private static List<Integer> setBits(byte[] bits) {
        List<Integer> numbers = new ArrayList<>();
        for (int i = 0; i < bits.length; i++) {
            int b = bits[i] & 0xff;
            while (b != 0) {
                int high = Integer.numberOfLeadingZeros(b) - 24;
                numbers.add(i * 8 + high);
                b &= ~(0x80 >>> high);
            }
        }
        return numbers;
    }

    private static Campaign parse(String id, Map<byte[], byte[]> raw) {
        Map<String, String> f = new HashMap<>();
        raw.forEach((k, v) -> f.put(str(k), str(v)));
        String segs = f.getOrDefault("segments", "");
        String excluded = f.getOrDefault("excluded", "");
        return new Campaign(id, f.get("advertiser"), f.get("audience"), Channel.fromWireName(f.get("channel")).orElseThrow(),
                segs.isEmpty() ? List.of() : Arrays.asList(segs.split(",")),
                Instant.ofEpochMilli(Long.parseLong(f.get("starts_ms"))), Instant.ofEpochMilli(Long.parseLong(f.get("ends_ms"))),
                Instant.parse(f.get("created_at")), excluded.isEmpty() ? List.of() : Arrays.asList(excluded.split(",")));
    }

    /** A campaign's hash (its audience, segments, times): the right of access reads it (access/AccessStore). */
    public byte[] campaignKey(String id) {
        return global.key("campaign:" + id);
    }

    private byte[] advertiserKey(String advertiser) {
        return global.key("advertiser:" + advertiser + ":campaigns");
    }

    /** Every campaign id (the right of access goes through them). */
    public byte[] allKey() {
        return global.key("campaigns");
    }



}
