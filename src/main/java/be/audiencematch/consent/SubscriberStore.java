package be.audiencematch.consent;

import be.audiencematch.audit.AuditLog;
import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.changes.SettledWrites;
import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.Buckets;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The subscriber base in Redis: who exists (by internal number), their identifiers, households and consents.
 * The only code that knows these keys (layout in docs/architecture.md):
 * <pre>
 *   {p}sub:{bucket}            hash  subscriber id → record (number, household, truncated identifiers)
 *   {p}ix:{e|p}:{bucket}       string  12-byte entries: digest bytes 2..9, u32 subscriber number (IndexEntryFormat)
 *   {p}hh:{bucket}             hash  household id → packed u32 subscriber numbers
 *   {p}seq                     string  the next subscriber number
 *   {p}live                    bitmap  bit n set while subscriber n exists
 *   {p}consent:{purpose}       bitmap  bit n set while subscriber n consents to the purpose
 *   {p}hhof, {p}hhof:{block}   string  4 bytes per number: a 32-bit tag of the subscriber's household (0: none),
 *                                      in blocks of HOUSEHOLD_TAG_BLOCK numbers
 *   {p}loading                 bitmap  bit n set while a bulk load still links subscriber n (bulk_lib.lua)
 *   {p}erasing                 set     numbers erased from the base whose membership bits are not all cleared yet
 *   {p}consent-times:{bucket}  hash    number → when each consent last changed, 12 bytes, for the subscribers of
 *                                      record bucket {bucket} created one by one or changed since (audit_lib.lua)
 *   {p}consent-made            zset    "first:count:seconds" by first: when a bulk call created its subscribers
 * </pre>
 * The two bitmap families are the base's published face: other stores combine them with their own bitmaps.
 */
@ApplicationScoped
public class SubscriberStore {

    public static final int MAX_IDENTIFIERS = 16;
    /** The name of the bitmap of who exists, in any shard (KeySpace.Keys.key names the shard's key). */
    public static final String LIVE = "live";

    private static final RedisScript CONSENTS =
            RedisScript.load("subscriber_consents", "view_lib", "audit_lib", "record_lib", "consent_lib");

    private final RedisConnections redis;
    /**
     * The base's shards: a bucket's keys (records, consent times, index, households) live in shard bucket mod S, the
     * other keys above in each shard; a path not yet built for several shards names them through {@link #one()}.
     */
    private final KeySpace keySpace;
    private final byte[] layoutKey;
    private final Buckets buckets;
    private final Buckets householdBuckets;
    private final BucketKeys bucketKeys;
    private final IndexFormat indexFormat;
    private final ShardedSubscriberWrites sharded;
    private final OneShardWrites oneShard;
    /** Every write below is acknowledged once every eligibility view has it (docs/architecture.md, "Leases"). */
    @jakarta.inject.Inject
    SettledWrites settled;

    @Inject
    public SubscriberStore(RedisConnections redis, KeySpace keys, AudienceMatchConfig config) {
        this(redis, keys, config.layout().bucketBits());
    }

    public SubscriberStore(RedisConnections redis, KeySpace keys, int bucketBits) {
        this.redis = redis;
        this.keySpace = keys;
        this.layoutKey = keys.global().key("layout");
        this.buckets = new Buckets(bucketBits);
        this.householdBuckets = buckets.households();
        this.bucketKeys = new BucketKeys(keys, buckets, householdBuckets);
        this.indexFormat = new IndexFormat(this, redis);
        this.sharded = new ShardedSubscriberWrites(this, redis, keys);
        this.oneShard = new OneShardWrites(this, redis);
    }

    /** Whether the identifier index has this version's layout (converting it first when it has not: IndexFormat). */
    public Uni<Boolean> indexCurrent() {
        return indexFormat.current();
    }

    /** The index conversion running or last run (for tests). */
    java.util.concurrent.CompletableFuture<Void> indexConversion() {
        return indexFormat.conversion();
    }

    /**
     * On a worker thread, before a bulk load or an upload: 503 while the index is being converted. Public for list
     * matching (matching/), which resolves through {@link #resolve} (docs/architecture.md, "Packages").
     */
    public void awaitIndex() {
        indexFormat.awaitCurrent();
    }

    /** Rewrites the index buckets a bulk load appended to, at its end (IndexFormat.compact). */
    CompletionStage<Long> compactIndex(StatefulRedisConnection<byte[], byte[]> connection, java.util.BitSet families) {
        return IndexFormat.compact(this, connection.async(), families, connection);
    }

    public Buckets buckets() {
        return buckets;
    }

    /** The buckets of household lists (at most 16 bits: see {@link Buckets}). */
    Buckets householdBuckets() {
        return householdBuckets;
    }

    /** Where the layout's bucket size is recorded, so a service configured differently notices (LayoutCheck). */
    public byte[] layoutKey() {
        return layoutKey;
    }

    public byte[] consentKey(Purpose purpose) {
        return key(consentName(purpose));
    }

    /** The name of the purpose's consent bitmap in any shard (KeySpace.Keys.key names the shard's key). */
    public static String consentName(Purpose purpose) {
        return "consent:" + purpose.wireName();
    }

    public byte[] liveKey() {
        return key(LIVE);
    }

    /**
     * Numbers a block of {@code {p}hhof} holds: one Redis string stops at 512 MiB, so 4 bytes a number are kept in
     * blocks of 256 MiB (the Lua writer: subscriber_lib.lua, HHOF_BLOCK).
     */
    public static final int HOUSEHOLD_TAG_BLOCK = 1 << 26;

    /**
     * The block of household tags holding subscriber {@code number}: 4 bytes at offset 4 × (number mod
     * HOUSEHOLD_TAG_BLOCK), a tag of its household (0: none), to count households reached.
     */
    public byte[] householdTagsKey(int number) {
        return key(householdTagsName(number));
    }

    /** {@code hhof} for the first block (its name before the blocks), then {@code hhof:1}, {@code hhof:2}, … */
    public static String householdTagsName(int number) {
        int block = number / HOUSEHOLD_TAG_BLOCK;
        return block == 0 ? "hhof" : "hhof:" + block;
    }

    /** The key of the bucket holding a household's member list (field: the household id), in its shard. */
    public byte[] householdKey(String householdId) {
        return householdKey(householdBuckets.ofId(householdId));
    }

    /** The shard holding a household's member list: its bucket's, bucket mod S (docs/scaling.md, "Placement"). */
    public int householdShard(String householdId) {
        return bucketKeys.householdShard(householdId);
    }

    /** 32-bit FNV-1a of the household id; two households sharing a tag only ever undercount a reach. */
    static byte[] householdTag(String householdId) {
        if (householdId == null) {
            return new byte[4];
        }
        int h = householdTag(Buckets.fnv1a(householdId));
        return new byte[] {(byte) (h >>> 24), (byte) (h >>> 16), (byte) (h >>> 8), (byte) h};
    }

    /** The tag of a household whose id hashes (FNV-1a) to {@code hash}: never 0, which stands for none. */
    static int householdTag(int hash) {
        return hash == 0 ? 1 : hash;
    }

    /** Creates or replaces one subscriber, once every eligibility view has it; true when it was new. */
    public Uni<Boolean> upsert(Subscriber subscriber) {
        byte[][] args = {subscriber.id().getBytes(StandardCharsets.UTF_8), recordTail(subscriber), meta(subscriber)};
        if (keySpace.shards() > 1) {
            return indexFormat.whenCurrent(() -> sharded.upsert(subscriber.id(), args[1], args[2]));
        }
        List<String> names = linkNames(subscriber);
        names.add("hhof");
        return settled.write(changes -> indexFormat.whenCurrent(() -> oneShard.declaring(OneShardWrites.UPSERT,
                subscriber.id(), changes, args, names, 1))).map(created -> created == 1L);
    }

    /**
     * The names after the key prefix of the index buckets and the household bucket a subscriber's record links to,
     * as subscriber_lib.lua's trace_names finds them in the record (SubscriberRecordFormatTest holds the two equal).
     */
    List<String> linkNames(Subscriber subscriber) {
        List<String> names = new ArrayList<>();
        for (HashedIdentifier identifier : subscriber.identifiers()) {
            names.add("ix:" + (char) identifier.type().code() + ":" + buckets.name(buckets.ofDigest(identifier.digest())));
        }
        if (subscriber.householdId() != null) {
            names.add("hh:" + householdBuckets.name(householdBuckets.ofId(subscriber.householdId())));
        }
        return names;
    }

    /** How many fixed keys {@link #fixedKeys} gives. */
    static final int FIXED_KEYS = 12;

    /**
     * The keys every subscriber write may touch, in subscriber_lib.lua's order (subscriber_fixed_keys): seq, live,
     * loading, the three consent bitmaps, erasing, the audit stream, the bulk loads' creation times, and the change
     * stream's sequence, stream and household tag key.
     */
    byte[][] fixedKeys(ChangeKeys changes) {
        return fixedKeys(one(), changes);
    }

    /** {@link #fixedKeys(ChangeKeys)} of one shard. */
    static byte[][] fixedKeys(KeySpace.Keys shard, ChangeKeys changes) {
        return new byte[][] {shard.key("seq"), shard.key(LIVE), shard.key("loading"),
            shard.key(consentName(Purpose.TV)), shard.key(consentName(Purpose.WEB)),
            shard.key(consentName(Purpose.ADS_AND_DATA)), shard.key("erasing"), AuditLog.streamKey(shard),
            shard.key("consent-made"), changes.seq(), changes.stream(), changes.viewKey()};
    }

    /** A key by its name after the prefix (the names the scripts that declare their keys ask for). */
    byte[] keyOf(String name) {
        return key(name);
    }

    /**
     * Runs a bulk load's chunks (on a worker thread), then waits until every eligibility view has them, also when the
     * load ends with a problem after writing part of it ({@link SettledWrites#blocking}).
     */
    <T> T bulkLoad(java.util.function.Function<ChangeKeys, T> chunks) {
        return settled.blocking(chunks);
    }

    /**
     * An empty chunk of a bulk load, for up to {@code capacity} subscribers (see {@link BulkChunk}), whose scripts
     * append to the change stream at {@code changes} (null for a chunk that only encodes records).
     */
    BulkChunk bulkChunk(int capacity, ChangeKeys changes) {
        return new BulkChunk(this, capacity, changes);
    }

    /** Sets the given purposes, once every eligibility view has them; false when the subscriber is unknown. */
    public Uni<Boolean> updateConsents(String subscriberId, Map<Purpose, Boolean> changes) {
        List<byte[]> args = new ArrayList<>();
        args.add(subscriberId.getBytes(StandardCharsets.UTF_8));
        changes.forEach((purpose, allowed) -> {
            args.add(new byte[] {(byte) ('1' + purpose.ordinal())});
            args.add(allowed ? new byte[] {'1'} : new byte[] {'0'});
        });
        int bucket = buckets.ofId(subscriberId);
        int home = homeShard(subscriberId);
        KeySpace.Keys shard = keySpace.shard(home);
        return settled.write(home, stream -> {
            byte[][] keys = {recordKey(bucket), consentTimesKey(bucket), shard.key(consentName(Purpose.TV)),
                shard.key(consentName(Purpose.WEB)), shard.key(consentName(Purpose.ADS_AND_DATA)),
                AuditLog.streamKey(shard), shard.key("consent-made"), stream.seq(), stream.stream(), stream.viewKey()};
            return redis.withShared(shard.slot(), r -> CONSENTS.<Long>run(r, ScriptOutputType.INTEGER, keys,
                    args.toArray(new byte[0][])).thenApply(found -> found == 1L));
        });
    }

    /**
     * Removes the subscriber from the base; its former number, or -1 when it was unknown. The first half of an
     * erasure only: {@link PendingErasures#erase} finishes it and answers once every eligibility view has it.
     */
    Uni<Long> erase(String subscriberId) {
        byte[][] args = {subscriberId.getBytes(StandardCharsets.UTF_8)};
        if (keySpace.shards() > 1) {
            return indexFormat.whenCurrent(() -> sharded.erase(subscriberId));
        }
        return settled.settledByALaterStep(changes -> indexFormat.whenCurrent(() -> oneShard.declaring(OneShardWrites.ERASE,
                subscriberId, changes, args, List.of("hhof"), 1)));
    }

    /** The bucket hash holding a subscriber's record, for the data-protection officer's read (access/AccessStore). */
    public byte[] recordKeyOf(String subscriberId) {
        return recordKey(subscriberId);
    }

    /** The consent change times beside that bucket, and the bulk loads' creation times (audit_lib.lua). */
    public byte[][] consentTimesKeysOf(String subscriberId) {
        return new byte[][] {consentTimesKey(buckets.ofId(subscriberId)),
            keySpace.shard(homeShard(subscriberId)).key("consent-made")};
    }

    /**
     * The shard a subscriber lives in: its record bucket's, bucket mod S (docs/scaling.md, "Placement"); its record,
     * its bits at its local number, its consent times, audit and change entries are there.
     */
    public int homeShard(String subscriberId) {
        return bucketKeys.homeShard(subscriberId);
    }

    /** The writes of a base of several shards. */
    ShardedSubscriberWrites sharded() {
        return sharded;
    }

    /** How a bulk load writes its chunks in a base of several shards; null in a base of one. */
    ShardedBulk shardedBulk() {
        return keySpace.shards() > 1 ? new ShardedBulk(this, redis, keySpace) : null;
    }

    /** The base's shards. */
    KeySpace keySpace() {
        return keySpace;
    }

    /**
     * The shard holding the key named {@code name} after a shard's prefix: an index bucket's ({@code ix:e:1a2b}) or a
     * household bucket's ({@code hh:00ff}) is bucket mod S.
     */
    int shardOfName(String name) {
        return bucketKeys.shardOfName(name);
    }

    private byte[] recordKey(String subscriberId) {
        return recordKey(buckets.ofId(subscriberId));
    }

    /** The next subscriber number. */
    byte[] seqKey() {
        return key("seq");
    }

    /** Bit n while a bulk load links subscriber n (bulk_lib.lua). */
    byte[] loadingKey() {
        return key("loading");
    }

    /** Touched when a bulk load's batch must not be written as it is (bulk_guard.lua). */
    byte[] bulkGuardKey() {
        return key("bulk:guard");
    }

    /** One chunk's identifier batches: bit 2b once batch b was checked, 2b + 1 once written (bulk_guard.lua). */
    byte[] bulkMarksKey(String chunk) {
        return key("bulk:marks:" + chunk);
    }

    /** Keys of the bucket hashes (BucketKeys), in the shard of their bucket. */
    byte[] recordKey(int bucket) {
        return bucketKeys.recordKey(bucket);
    }

    byte[] indexKey(IdentifierType type, int bucket) {
        return bucketKeys.indexKey(type, bucket);
    }

    byte[] consentTimesKey(int bucket) {
        return bucketKeys.consentTimesKey(bucket);
    }

    byte[] householdKey(int bucket) {
        return bucketKeys.householdKey(bucket);
    }

    /** The consent mask ('0'/'1' for tv, web, ads_and_data) and the household tag, as the scripts take them. */
    static byte[] meta(Subscriber s) {
        Consents c = s.consents();
        byte[] tag = householdTag(s.householdId());
        return new byte[] {(byte) (c.tv() ? '1' : '0'), (byte) (c.web() ? '1' : '0'), (byte) (c.adsAndData() ? '1' : '0'),
            tag[0], tag[1], tag[2], tag[3]};
    }

    /** The record without its number (the script assigns it), written as a bulk load writes it. */
    private byte[] recordTail(Subscriber s) {
        BulkChunk one = bulkChunk(1, null);
        one.add(s);
        return one.recordTail(0);
    }

    private byte[] key(String suffix) {
        return one().key(suffix);
    }

    /** The one shard of a base of one, for the paths built for one shard only (KeySpace.single). */
    KeySpace.Keys one() {
        return keySpace.single();
    }
}
