package be.audiencematch.audit;

import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.XTrimArgs;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The audit trail: append-only Redis streams, {@code {p}audit}, trimmed by age (docs/privacy.md, "Audit trail"): the
 * global keys' stream for what the services record, and each shard's for the feed changes of its subscribers (one
 * stream while the base is one shard). Reading merges them by entry id (MergedPages).
 * Entries carry their kind, {@code at} (an ISO instant in Redis' clock, as the entry id) and counts or internal
 * numbers; never an identifier, digest, pseudonym, subscriber or household id, or token. Feed changes are appended
 * by the subscriber scripts themselves (audit_lib.lua), in the same atomic step as the change. A shard's scripts write
 * a subscriber's number in that shard ({@code n}); it is read out as the global number, the one the rest of the API
 * and the index name it by (docs/scaling.md, "Numbers"), so that subscribers of two shards never share a number.
 */
@ApplicationScoped
@Startup // the hourly trim runs even where only the scripts append (a replica serving the feed alone)
public class AuditLog {

    private static final Logger LOG = Logger.getLogger(AuditLog.class);
    private static final RedisScript RECORD = RedisScript.load("audit_record", "audit_lib");
    private static final RedisScript PAGE = RedisScript.load("audit_page");
    /** How often the exact trim runs: entries the scripts append do not trim, and MINID ~ keeps partial nodes. */
    private static final long TRIM_EVERY_MILLIS = Duration.ofHours(1).toMillis();
    /** Most entries one page call reads while filtering by kind; the caller pages on from the cursor. */
    static final int READ_BUDGET = 10_000;

    /** One page: entries oldest first, and where the next page starts (null: none). */
    public record Page(List<Map<String, String>> entries, String nextCursor) {
    }

    private final RedisConnections redis;
    /** Where {@link #record} appends: the global keys. */
    private final KeySpace.Keys global;
    /** Every stream of the trail, each once: the global one, then each shard's that is not the same key. */
    private final List<KeySpace.Keys> streams;
    /** How many shards the base has: with several, stream i + 1 of {@link #streams} is shard i's. */
    private final int shards;
    private final Duration retention;
    private final byte[] retentionMillis;
    private final Vertx vertx;
    private final long trimTimer;

    public AuditLog(RedisConnections redis, Vertx vertx,
                    KeySpace keys,
                    AudienceMatchConfig config) {
        Duration retention = config.audit().retention();
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("audience-match.audit.retention must be positive");
        }
        this.redis = redis;
        this.vertx = vertx;
        this.global = keys.global();
        List<KeySpace.Keys> all = new ArrayList<>();
        all.add(global);
        for (int s = 0; s < keys.shards(); s++) {
            if (!keys.shard(s).prefix().equals(global.prefix())) {
                all.add(keys.shard(s));
            }
        }
        this.streams = List.copyOf(all);
        this.shards = keys.shards();
        this.retention = retention;
        this.retentionMillis = bytes(Long.toString(retention.toMillis()));
        this.trimTimer = vertx.setPeriodic(TRIM_EVERY_MILLIS, id -> trimBefore(Instant.now().minus(retention))
                .subscribe().with(removed -> { }, failure -> LOG.warnf("Audit trail: trim failed (%s)",
                        failure.getClass().getSimpleName())));
    }

    /** The audit stream's key: scripts that audit a change in the same step name it (audit_lib.lua, audit_keys). */
    public static byte[] streamKey(KeySpace.Keys shard) {
        return shard.key("audit");
    }

    @PreDestroy
    void stop() {
        vertx.cancelTimer(trimTimer);
    }

    /**
     * Appends one entry: {@code fields} plus {@code kind} and {@code at} (Redis' clock), trimming entries older than
     * the retention. Fails only when Redis does (the caller answers 503): nothing else about an entry can fail.
     */
    public Uni<Void> record(String kind, Map<String, String> fields) {
        List<byte[]> args = new ArrayList<>(3 + 2 * fields.size());
        args.add(retentionMillis);
        args.add(bytes(kind));
        fields.forEach((k, v) -> {
            if (!"kind".equals(k) && !"at".equals(k)) {
                args.add(bytes(k));
                args.add(bytes(v == null ? "" : v));
            }
        });
        return redis.withShared(global.slot(), r -> RECORD.run(r, ScriptOutputType.VALUE,
                new byte[][] {streamKey(global)}, args.toArray(new byte[0][]))).replaceWithVoid();
    }

    /**
     * Entries from {@code first} (a stream id, or "(" and an id: after it) to {@code last} (inclusive), of one
     * kind or all (null), at most {@code limit} (a few more when entries of several streams share the last id).
     */
    public Uni<Page> page(String first, String last, String kind, int limit) {
        return redis.onEach(streams, (stream, r) -> PAGE.<List<Object>>run(r, ScriptOutputType.MULTI,
                        new byte[][] {streamKey(stream)}, bytes(first), bytes(last), bytes(kind == null ? "" : kind),
                        bytes(Integer.toString(limit)), bytes(Integer.toString(READ_BUDGET))).thenApply(AuditLog::page))
                .map(read -> {
                    for (int stream = 0; stream < read.size(); stream++) {
                        for (Map<String, String> entry : read.get(stream).entries()) {
                            globalNumber(stream, entry);
                        }
                    }
                    return MergedPages.merge(read, limit);
                });
    }

    /** The newest entries of one kind, newest first (the export audit's older endpoint). */
    public Uni<List<Map<String, String>>> newest(String kind, int count) {
        return redis.onEach(streams, (stream, r) -> r.xrevrange(streamKey(stream), io.lettuce.core.Range.unbounded(),
                        io.lettuce.core.Limit.from(READ_BUDGET)))
                .map(read -> java.util.stream.IntStream.range(0, read.size()).boxed()
                        .flatMap(stream -> read.get(stream).stream()
                                .map(m -> globalNumber(stream, entry(m.getId(), m.getBody()))))
                        .filter(e -> kind.equals(e.get("kind")))
                        .sorted(java.util.Comparator.comparing((Map<String, String> e) -> e.get("id"),
                                MergedPages.BY_ID).reversed())
                        .limit(count).toList());
    }

    /** Removes entries older than {@code cutoff} exactly, from every stream; how many went. */
    public Uni<Long> trimBefore(Instant cutoff) {
        String minId = Long.toString(Math.max(0, cutoff.toEpochMilli()));
        return redis.onEach(streams, (stream, r) -> r.xtrim(streamKey(stream),
                        XTrimArgs.Builder.minId(minId).exactTrimming()))
                .map(removed -> removed.stream().mapToLong(Long::longValue).sum());
    }

    public Duration retention() {
        return retention;
    }

    @SuppressWarnings("unchecked")
    private static Page page(List<Object> reply) {
        List<Map<String, String>> entries = new ArrayList<>();
        for (Object e : (List<Object>) reply.get(0)) {
            List<Object> entry = (List<Object>) e;
            List<Object> flat = (List<Object>) entry.get(1);
            Map<byte[], byte[]> body = new LinkedHashMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                body.put((byte[]) flat.get(i), (byte[]) flat.get(i + 1));
            }
            entries.add(entry(str((byte[]) entry.get(0)), body));
        }
        Object cursor = reply.size() > 1 ? reply.get(1) : null;
        return new Page(entries, cursor instanceof byte[] b ? str(b) : null);
    }

    /**
     * {@code entry} of stream {@code stream} of {@link #streams}, its subscriber number {@code n} made global: local
     * number l of shard s is l × S + s (docs/scaling.md, "Numbers"); the number itself in a base of one shard.
     */
    private Map<String, String> globalNumber(int stream, Map<String, String> entry) {
        String local = entry.get("n");
        if (shards > 1 && stream > 0 && local != null) {
            entry.put("n", Long.toString(Long.parseLong(local) * shards + (stream - 1)));
        }
        return entry;
    }

    /** id, at, kind first, then the entry's other fields as they were written. */
    private static Map<String, String> entry(String id, Map<byte[], byte[]> body) {
        Map<String, String> entry = new LinkedHashMap<>();
        entry.put("id", id);
        entry.put("at", null);
        entry.put("kind", null);
        body.forEach((k, v) -> entry.put(str(k), str(v)));
        entry.values().removeIf(java.util.Objects::isNull);
        return entry;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
