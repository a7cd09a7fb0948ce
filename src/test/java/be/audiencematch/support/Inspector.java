package be.audiencematch.support;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.consent.BucketKeys;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.Buckets;
import be.audiencematch.kernel.KeySpace;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.eclipse.microprofile.config.ConfigProvider;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Reads Redis directly, the way an auditor would, to prove what is (not) kept. It finds each key where the service
 * put it, through the service's own placement (KeySpace, BucketKeys; docs/scaling.md, "Placement") and the layout the
 * base records (am:layout: bucket bits and shards), and names subscribers by their global number, as the index, the
 * household lists, the views and the API do (docs/scaling.md, "Numbers"); one shard's numbers are the same.
 */
public final class Inspector implements AutoCloseable {
    private final String url;
    private final DirectRedis<byte[], byte[]> direct;
    private final RedisClusterCommands<byte[], byte[]> redis;
    /** The bucket size the base records (am:layout), as an auditor would find it; until then, the service's. */
    private final Buckets buckets;
    private final KeySpace keys;
    private final BucketKeys bucketKeys;
    /** The server at {@link #url} alone, for what concerns its own clients (CLIENT LIST, CLIENT KILL). */
    private RedisClient nodeClient;
    private StatefulRedisConnection<byte[], byte[]> node;

    /** The test run's Redis: the server that holds the service's keys (TestEnvironment.baseRedis). */
    public Inspector() {
        this(TestEnvironment.baseRedis().url());
    }

    /** The Redis (on the cluster topology: the cluster) reached through the server at {@code url}. */
    public Inspector(String url) {
        this.url = url;
        direct = DirectRedis.binary(url);
        redis = direct.commands();
        buckets = new Buckets(recorded("bucket_bits", "audience-match.layout.bucket-bits", Buckets.DEFAULT_BITS));
        keys = KeySpace.of(Keys.DEFAULT_PREFIX, TestEnvironment.cluster(),
                recorded("shards", "audience-match.layout.shards", 1));
        bucketKeys = new BucketKeys(keys, buckets, buckets.households());
    }

    /** A field of am:layout (layout_record.lua), or the service's setting before any service recorded it. */
    private int recorded(String field, String setting, int otherwise) {
        byte[] value = redis.hget(Keys.bytes("layout"), bytes(field));
        return value != null ? Integer.parseInt(new String(value, StandardCharsets.US_ASCII))
                : ConfigProvider.getConfig().getOptionalValue(setting, Integer.class).orElse(otherwise);
    }

    /** How many shards the base is laid out in. */
    public int shards() {
        return keys.shards();
    }

    /** The keys of the shard that holds global number {@code number}'s record and bits (g mod S). */
    public KeySpace.Keys home(long number) {
        return keys.shard(keys.shardOf(number));
    }

    /** The number {@code number} has in its home shard's bitmaps and sets (g div S). */
    public long local(long number) {
        return number / keys.shards();
    }

    /** Synthetic subscriber {@code index}'s global number, from its record in its home shard, or -1. */
    public long numberOf(int index) {
        String id = SyntheticBase.subscriberId(index);
        byte[] record = redis.hget(bucketKeys.recordKey(buckets.ofId(id)), id.getBytes(StandardCharsets.UTF_8));
        if (record == null) {
            return -1;
        }
        return (ByteBuffer.wrap(record).getInt() & 0xffffffffL) * keys.shards() + bucketKeys.homeShard(id);
    }

    /** The subscriber number the index gives for a digest (its bucket's last entry for it, index_lib.lua), or -1. */
    public long indexed(String hex, char type) {
        long[] numbers = indexEntries(hex, type);
        return numbers.length == 0 ? -1 : numbers[numbers.length - 1];
    }

    /** Whether the index holds any entry for a digest, whoever it points at. */
    public boolean indexHas(String hex, char type) {
        return indexEntries(hex, type).length > 0;
    }

    /** The numbers of every index entry for a digest, in the bucket's order (12-byte entries: field, u32 number). */
    public long[] indexEntries(String hex, char type) {
        byte[] digest = HexFormat.of().parseHex(hex);
        byte[] entries = redis.get(bucketKeys.indexKey(type(type), buckets.ofDigest(digest)));
        if (entries == null) {
            return new long[0];
        }
        byte[] field = Arrays.copyOfRange(digest, 2, 10);
        ByteBuffer buffer = ByteBuffer.wrap(entries);
        return IntStream.range(0, entries.length / 12)
                .filter(e -> Arrays.equals(entries, 12 * e, 12 * e + 8, field, 0, 8))
                .mapToLong(e -> buffer.getInt(12 * e + 8) & 0xffffffffL).toArray();
    }

    /** Every identifier index entry (the index buckets' length / 12), and checks that no bucket has a torn entry. */
    public long indexEntryCount() {
        long entries = 0;
        for (KeySpace.Keys shard : keys.everyShard()) {
            for (byte[] key : redis.keys(shard.key("ix:*"))) {
                long length = redis.strlen(key);
                if (length % 12 != 0) {
                    throw new AssertionError("an index bucket of " + length + " bytes");
                }
                entries += length / 12;
            }
        }
        return entries;
    }

    /** Bytes Redis allocated for the index bucket named {@code bucket} ("7e5a"), all included, and its length. */
    public long[] indexBucketMemoryAndLength(char type, String bucket) {
        byte[] key = bucketKeys.indexKey(type(type), buckets.parse(bucket));
        Long memory = redis.memoryUsage(key);
        return new long[] {memory == null ? 0 : memory, redis.strlen(key)};
    }

    /** A number kept as a string (such as a shard's subscriber sequence) under its full key, 0 when absent. */
    public long counter(String key) {
        byte[] value = redis.get(key.getBytes(StandardCharsets.UTF_8));
        return value == null ? 0 : Long.parseLong(new String(value, StandardCharsets.US_ASCII));
    }

    /**
     * Global number {@code number}'s bit in the bitmap {@code name} ("consent:tv", "segment:s1"): its home shard's,
     * at its local number (docs/scaling.md, "Placement").
     */
    public long bit(String name, long number) {
        return redis.getbit(home(number).key(name), local(number));
    }

    /** Whether a household's member list (global numbers, in the shard of its bucket) holds {@code number}. */
    public boolean householdHas(String householdId, long number) {
        byte[] members = redis.hget(bucketKeys.householdKey(buckets.households().ofId(householdId)),
                householdId.getBytes(StandardCharsets.UTF_8));
        if (members == null) {
            return false;
        }
        ByteBuffer buffer = ByteBuffer.wrap(members);
        while (buffer.remaining() >= 4) {
            if ((buffer.getInt() & 0xffffffffL) == number) {
                return true;
            }
        }
        return false;
    }

    /** The bucket size the base records in am:layout, or -1 before any service recorded it. */
    public int recordedBucketBits() {
        byte[] bits = redis.hget(Keys.bytes("layout"), bytes("bucket_bits"));
        return bits == null ? -1 : Integer.parseInt(new String(bits, StandardCharsets.US_ASCII));
    }

    /** How many keys of any shard match a pattern of names after the shard's prefix ("ix:e:????"). */
    public int keysMatching(String pattern) {
        int matching = 0;
        for (KeySpace.Keys shard : keys.everyShard()) {
            matching += redis.keys(shard.key(pattern)).size();
        }
        return matching;
    }

    /** Every entry of every change stream (each shard's and the global one; one stream in a base of one shard). */
    public List<StreamMessage<byte[], byte[]>> changeEntries() {
        List<StreamMessage<byte[], byte[]>> entries = new ArrayList<>();
        for (KeySpace.Keys stream : streams()) {
            entries.addAll(redis.xrange(stream.key("view:changes"), Range.create("-", "+")));
        }
        return entries;
    }

    /** The key of the household tags change entries carry, the same in every stream's keys (changes/ChangeKeys). */
    public byte[] viewKey() {
        return redis.get(keys.global().key("view:key"));
    }

    /** The command another client of the server at the url is running or ran last (CLIENT LIST's cmd). */
    public String commandOf(long clientId) {
        String line = node().clientList(io.lettuce.core.ClientListArgs.Builder.ids(clientId));
        java.util.regex.Matcher cmd = java.util.regex.Pattern.compile(" cmd=([^ ]+)").matcher(line);
        return cmd.find() ? cmd.group(1) : "";
    }

    /** Closes another client's connection, as a network failure or a failover would. */
    public void killClient(long clientId) {
        node().clientKill(io.lettuce.core.KillArgs.Builder.id(clientId));
    }

    private io.lettuce.core.api.sync.RedisCommands<byte[], byte[]> node() {
        if (node == null) {
            nodeClient = RedisClient.create(url);
            node = nodeClient.connect(ByteArrayCodec.INSTANCE);
        }
        return node.sync();
    }

    /** Forgets every loaded script (on the cluster: on every primary), as a restarted or failed-over Redis would. */
    public void forgetScripts() {
        redis.scriptFlush();
    }

    /**
     * Removes a campaign's rule as data from before rules existed would lack it. Like every writer of what eligibility
     * reads, it notes the change on the change stream in the same step, so the replicas' views see it too: the global
     * keys' stream, where the campaigns are (docs/scaling.md, "Change streams and read-your-writes").
     */
    public void forgetCampaignRule(String campaignId) {
        // The entry is written by view_lib.lua's view_note, the one writer of change entries (ChangeEntryFormat).
        KeySpace.Keys global = keys.global();
        redis.eval(LuaLibs.source("view_lib") + "\nredis.call('HDEL', KEYS[1], ARGV[1]) "
                        + "view_note(KEYS[2], KEYS[3], { 'x', ARGV[1] })",
                ScriptOutputType.STATUS,
                new byte[][] {global.key("campaign-rules"), global.key("view:seq"), global.key("view:changes")},
                bytes(campaignId));
    }

    /** Redis' own clock, in ms: leases are measured by it. */
    public long redisTimeMillis() {
        List<byte[]> t = redis.time();
        return Long.parseLong(new String(t.get(0), StandardCharsets.US_ASCII)) * 1000
                + Long.parseLong(new String(t.get(1), StandardCharsets.US_ASCII)) / 1000;
    }

    /**
     * Registers another replica's view, as its follower would: on every change stream (a replica holds a lease on
     * each: docs/scaling.md, "Change streams and read-your-writes"), a lease ending at {@code leaseEnd} and the change
     * {@code applied}. {@link #forgetReplica} takes it off every stream again.
     */
    public void registerReplica(String replica, long leaseEndMillis, long applied) {
        for (KeySpace.Keys stream : streams()) {
            redis.zadd(stream.key("view:leases"), (double) leaseEndMillis, bytes(replica));
            redis.hset(stream.key("view:applied"), bytes(replica), bytes(Long.toString(applied)));
        }
    }

    public void forgetReplica(String replica) {
        for (KeySpace.Keys stream : streams()) {
            redis.zrem(stream.key("view:leases"), bytes(replica));
            redis.hdel(stream.key("view:applied"), bytes(replica));
        }
    }

    /** The keys of every change stream, each once: the global keys, then each shard's that are not the same. */
    private List<KeySpace.Keys> streams() {
        List<KeySpace.Keys> streams = new ArrayList<>(List.of(keys.global()));
        keys.everyShard().stream().filter(s -> !s.prefix().equals(keys.global().prefix())).forEach(streams::add);
        return streams;
    }

    public boolean hasCampaignRule(String campaignId) {
        return redis.hexists(keys.global().key("campaign-rules"), campaignId.getBytes(StandardCharsets.UTF_8));
    }

    private static IdentifierType type(char type) {
        return type == 'e' ? IdentifierType.EMAIL_SHA256 : IdentifierType.PHONE_SHA256;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (node != null) {
            node.close();
            nodeClient.shutdown();
        }
        direct.close();
    }
}
