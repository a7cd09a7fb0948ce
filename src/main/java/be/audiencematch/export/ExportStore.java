package be.audiencematch.export;

import be.audiencematch.audit.AuditLog;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.kernel.ShardBits;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import be.audiencematch.segment.SegmentStore;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import static be.audiencematch.redis.Bytes.bytes;
import static be.audiencematch.redis.Bytes.str;

/**
 * Export state in Redis:
 * <pre>
 *   {p}export:cursor:{id}        bitmap  who had been exported when the cursor was handed out (TTL: retention)
 *   {p}export:cursor:{id}:meta   hash    segment, key_version, created_at (TTL: retention)
 *   {p}export:cursors            zset    cursor ids by expiry (ms), for the data-protection officer's access read
 * </pre>
 * Exports are audited in the audit trail ({@link AuditLog}, kind {@code export}).
 * A cursor's bitmap may hold the number of a subscriber erased since: that is what lets the next delta tell Ads &
 * Data to remove the pseudonym. It expires with the cursor.
 */
@ApplicationScoped
public class ExportStore {

    private static final RedisScript CURSOR = RedisScript.load("export_cursor");
    private static final RedisScript SIZES = RedisScript.load("export_sizes");

    /** What one export call read: the bitmaps as Redis holds them (bit n = byte n/8, most significant first). */
    public record State(byte[] current, byte[] previous, Map<String, String> previousMeta) {
    }

    private final RedisConnections redis;
    private final KeySpace keys;
    private final KeySpace.Keys global;
    private final AuditLog auditLog;

    public ExportStore(RedisConnections redis, AuditLog auditLog, KeySpace keys) {
        this.redis = redis;
        this.auditLog = auditLog;
        this.keys = keys;
        this.global = keys.global();
    }

    /**
     * Records the new cursor and returns what the partner may hold now and what it held at {@code since}: each
     * shard's bitmaps first, every shard at once, then the cursors' metadata on the global keys, put together by
     * global subscriber number (docs/scaling.md, "Reads"). A cursor's bitmaps and metadata expire at one instant, so
     * metadata still there after the bitmaps were read means they were read whole.
     */
    public Uni<State> take(String segmentId, String newCursor, String since, Map<String, String> meta,
                           Duration retention) {
        long expires = System.currentTimeMillis() + retention.toMillis();
        Map<byte[], byte[]> fields = new java.util.LinkedHashMap<>();
        meta.forEach((k, v) -> fields.put(bytes(k), bytes(v)));
        return redis.onEach(keys.everyShard(), (shard, r) -> takeIn(shard, r, segmentId, newCursor, since, expires))
                .flatMap(taken -> redis.withShared(global.slot(), r -> {
            // The registry lets the access read find the cursors holding a subscriber; expired ones leave it here.
            r.zremrangebyscore(cursorsKey(), io.lettuce.core.Range.create(0, System.currentTimeMillis()));
            r.zadd(cursorsKey(), expires, bytes(newCursor));
            r.hset(metaKey(newCursor), fields);
            r.pexpireat(metaKey(newCursor), expires);
            return since == null ? java.util.concurrent.CompletableFuture.completedFuture(Map.<byte[], byte[]>of())
                    : r.hgetall(metaKey(since));
        }).map(previous -> {
            List<byte[]> current = new ArrayList<>(taken.size());
            List<byte[]> held = new ArrayList<>(taken.size());
            for (List<Object> part : taken) {
                current.add((byte[]) part.get(0));
                held.add(part.get(1) instanceof byte[] b ? b : null);
            }
            Map<String, String> previousFields = new HashMap<>();
            previous.forEach((k, v) -> previousFields.put(str(k), str(v)));
            return new State(ShardBits.interleave(current), since == null ? null : ShardBits.interleave(held), previousFields);
        }));
    }

    private static CompletionStage<List<Object>> takeIn(KeySpace.Keys shard, RedisAsyncCommands<byte[], byte[]> r,
                                                       String segmentId, String newCursor, String since, long expires) {
        List<byte[]> named = new ArrayList<>(List.of(shard.key(SegmentStore.bitmapName(segmentId)),
                shard.key(SubscriberStore.consentName(Purpose.ADS_AND_DATA)), shard.key(SubscriberStore.LIVE),
                shard.key(cursorName(newCursor))));
        if (since != null) {
            named.add(shard.key(cursorName(since)));
        }
        return CURSOR.run(r, ScriptOutputType.MULTI, named.toArray(new byte[0][]), bytes(Long.toString(expires)));
    }

    /**
     * Per segment, how many members may go to Ads & Data now (exact; callers disclose it through privacy): one call a
     * shard, every shard at once, summed segment by segment (docs/scaling.md, "Reads").
     */
    public Uni<List<Long>> exportableCounts(List<String> segmentIds) {
        if (segmentIds.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        return redis.onEach(keys.everyShard(), (shard, r) -> {
            byte[][] named = new byte[3 + segmentIds.size()][];
            named[0] = shard.key("scratch:export-sizes");
            named[1] = shard.key(SubscriberStore.consentName(Purpose.ADS_AND_DATA));
            named[2] = shard.key(SubscriberStore.LIVE);
            for (int i = 0; i < segmentIds.size(); i++) {
                named[3 + i] = shard.key(SegmentStore.bitmapName(segmentIds.get(i)));
            }
            return SIZES.<List<Long>>run(r, ScriptOutputType.MULTI, named);
        }).map(counts -> {
            List<Long> sums = new ArrayList<>(segmentIds.size());
            for (int i = 0; i < segmentIds.size(); i++) {
                long sum = 0;
                for (List<Long> part : counts) {
                    sum += part.get(i);
                }
                sums.add(sum);
            }
            return sums;
        });
    }

    public Uni<Void> audit(Map<String, String> entry) {
        return auditLog.record("export", entry);
    }

    /** The newest export audit entries, newest first. */
    public Uni<List<Map<String, String>>> recentAudit(int count) {
        return auditLog.newest("export", count);
    }

    /** Cursor ids by expiry time (ms). */
    public byte[] cursorsKey() {
        return global.key("export:cursors");
    }

    /** What precedes a cursor id in its bitmap's key (and, followed by ":meta", its metadata's). */
    public String cursorKeyPrefix() {
        return keys.single().name("export:cursor:");
    }

    /** A cursor's bitmap of the numbers it exported (the right of access reads it). */
    public byte[] cursorKey(String cursor) {
        return keys.single().key(cursorName(cursor));
    }

    /** The name of a cursor's bitmap in any shard. */
    public static String cursorName(String cursor) {
        return "export:cursor:" + cursor;
    }

    /** A cursor's segment, key version and time. */
    public byte[] metaKey(String cursor) {
        return global.key("export:cursor:" + cursor + ":meta");
    }



}
