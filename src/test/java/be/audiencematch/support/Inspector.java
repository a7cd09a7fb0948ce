package be.audiencematch.support;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.kernel.Buckets;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.eclipse.microprofile.config.ConfigProvider;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.HexFormat;

/** Reads Redis directly, the way an auditor would, to prove what is (not) kept. */
public final class Inspector implements AutoCloseable {
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final RedisCommands<byte[], byte[]> redis;
    /** The bucket size the base records (am:layout), as an auditor would find it; until then, the service's. */
    private final Buckets buckets;

    /** The test run's Redis: the server that holds the service's keys (TestEnvironment.baseRedis). */
    public Inspector() {
        this(TestEnvironment.baseRedis().url());
    }

    public Inspector(String url) {
        client = RedisClient.create(url);
        connection = client.connect(ByteArrayCodec.INSTANCE);
        redis = connection.sync();
        buckets = recordedBuckets();
    }

    private Buckets recordedBuckets() {
        byte[] bits = redis.hget(Keys.bytes("layout"), bytes("bucket_bits"));
        return new Buckets(bits != null ? Integer.parseInt(new String(bits, StandardCharsets.US_ASCII))
                : ConfigProvider.getConfig().getOptionalValue("audience-match.layout.bucket-bits", Integer.class)
                        .orElse(Buckets.DEFAULT_BITS));
    }

    public long numberOf(int index) {
        String id = SyntheticBase.subscriberId(index);
        byte[] key = Keys.bytes("sub:" + buckets.name(buckets.ofId(id)));
        byte[] record = redis.hget(key, id.getBytes(StandardCharsets.UTF_8));
        return record == null ? -1 : java.nio.ByteBuffer.wrap(record).getInt() & 0xffffffffL;
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
        byte[] entries = redis.get(Keys.bytes("ix:" + type + ":" + buckets.name(buckets.ofDigest(digest))));
        if (entries == null) {
            return new long[0];
        }
        byte[] field = java.util.Arrays.copyOfRange(digest, 2, 10);
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(entries);
        return java.util.stream.IntStream.range(0, entries.length / 12)
                .filter(e -> java.util.Arrays.equals(entries, 12 * e, 12 * e + 8, field, 0, 8))
                .mapToLong(e -> buffer.getInt(12 * e + 8) & 0xffffffffL).toArray();
    }

    /** Every identifier index entry (the index buckets' length / 12), and checks that no bucket has a torn entry. */
    public long indexEntryCount() {
        long entries = 0;
        for (byte[] key : redis.keys(Keys.bytes("ix:*"))) {
            long length = redis.strlen(key);
            if (length % 12 != 0) {
                throw new AssertionError("an index bucket of " + length + " bytes");
            }
            entries += length / 12;
        }
        return entries;
    }

    /** Bytes Redis allocated for a key, all included (MEMORY USAGE), and its value's length. */
    public long[] memoryAndLength(String key) {
        byte[] k = bytes(key);
        return new long[] {redis.memoryUsage(k), redis.strlen(k)};
    }

    /** A number kept as a string (such as the subscriber sequence), 0 when absent. */
    public long counter(String key) {
        byte[] value = redis.get(key.getBytes(StandardCharsets.UTF_8));
        return value == null ? 0 : Long.parseLong(new String(value, StandardCharsets.US_ASCII));
    }

    public long bit(String key, long offset) {
        return redis.getbit(key.getBytes(StandardCharsets.UTF_8), offset);
    }

    public boolean householdHas(String householdId, long number) {
        Buckets households = buckets.households();
        byte[] key = Keys.bytes("hh:" + households.name(households.ofId(householdId)));
        byte[] members = redis.hget(key, householdId.getBytes(StandardCharsets.UTF_8));
        if (members == null) {
            return false;
        }
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(members);
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

    /** How many keys match a pattern (a test's Redis is small enough for KEYS). */
    public int keysMatching(String pattern) {
        return redis.keys(bytes(pattern)).size();
    }

    /** The command another client is running or ran last (CLIENT LIST's cmd), such as "blpop". */
    public String commandOf(long clientId) {
        String line = redis.clientList(io.lettuce.core.ClientListArgs.Builder.ids(clientId));
        java.util.regex.Matcher cmd = java.util.regex.Pattern.compile(" cmd=([^ ]+)").matcher(line);
        return cmd.find() ? cmd.group(1) : "";
    }

    /** Closes another client's connection, as a network failure or a failover would. */
    public void killClient(long clientId) {
        redis.clientKill(io.lettuce.core.KillArgs.Builder.id(clientId));
    }

    /** Forgets every loaded script, as a restarted or failed-over Redis would. */
    public void forgetScripts() {
        redis.scriptFlush();
    }

    /**
     * Removes a campaign's rule as data from before rules existed would lack it. Like every writer of what eligibility
     * reads, it notes the change on the change stream in the same step, so the replicas' views see it too.
     */
    public void forgetCampaignRule(String campaignId) {
        // The entry is written by view_lib.lua's view_note, the one writer of change entries (ChangeEntryFormat).
        redis.eval(LuaLibs.source("view_lib") + "\nredis.call('HDEL', KEYS[1], ARGV[1]) "
                        + "view_note(KEYS[2], KEYS[3], { 'x', ARGV[1] })",
                ScriptOutputType.STATUS,
                new byte[][] {Keys.bytes("campaign-rules"), Keys.bytes("view:seq"), Keys.bytes("view:changes")},
                bytes(campaignId));
    }

    /** Redis' own clock, in ms: leases are measured by it. */
    public long redisTimeMillis() {
        List<byte[]> t = redis.time();
        return Long.parseLong(new String(t.get(0), StandardCharsets.US_ASCII)) * 1000
                + Long.parseLong(new String(t.get(1), StandardCharsets.US_ASCII)) / 1000;
    }

    /** Registers another replica's view, as its follower would: a lease ending at {@code leaseEnd}, a change applied. */
    public void registerReplica(String replica, long leaseEndMillis, long applied) {
        redis.zadd(Keys.bytes("view:leases"), (double) leaseEndMillis, bytes(replica));
        redis.hset(Keys.bytes("view:applied"), bytes(replica), bytes(Long.toString(applied)));
    }

    public void forgetReplica(String replica) {
        redis.zrem(Keys.bytes("view:leases"), bytes(replica));
        redis.hdel(Keys.bytes("view:applied"), bytes(replica));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public boolean hasCampaignRule(String campaignId) {
        return redis.hexists(Keys.bytes("campaign-rules"),
                campaignId.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
