package be.audiencematch.segment;

import be.audiencematch.changes.SettledWrites;
import be.audiencematch.consent.Channel;
import be.audiencematch.consent.MemberEraser;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.matching.MatchingUpload;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.MemberBits;
import be.audiencematch.redis.RedisScript;

import static be.audiencematch.redis.Bytes.bytes;
import static be.audiencematch.redis.Bytes.str;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.roaringbitmap.RoaringBitmap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Segment membership in Redis:
 * <pre>
 *   {p}segments             hash    segment id → {"channel","identifier_type","members","updated_at"}
 *   {p}segment:{id}         bitmap  bit n set when subscriber n is in the segment
 *   {p}staging:{uuid}       bitmap  a replacement being promoted (lives inside one script call)
 * </pre>
 */
@ApplicationScoped
public class SegmentStore implements MemberEraser {

    private static final RedisScript PROMOTE = RedisScript.load("segment_promote", "view_lib");
    private static final RedisScript DELETE = RedisScript.load("registry_delete", "view_lib");
    private static final RedisScript BITMAP_DELETE = RedisScript.load("bitmap_delete", "view_lib");
    private static final RedisScript SHARD = RedisScript.load("segment_shard", "view_lib", "bitmap_lib");

    private final RedisConnections redis;
    private final SubscriberStore base;
    private final ObjectMapper json;
    private final KeySpace keys;
    private final KeySpace.Keys global;
    private final SettledWrites settled;

    public SegmentStore(RedisConnections redis, SettledWrites settled, SubscriberStore base, ObjectMapper json,
                        KeySpace keys) {
        this.redis = redis;
        this.base = base;
        this.json = json;
        this.keys = keys;
        this.global = keys.global();
        this.settled = settled;
    }

    /** What precedes a segment id in its bitmap's key (for the eligibility script). */
    public String bitmapKeyPrefix() {
        return keys.single().name("segment:");
    }

    public byte[] bitmapKey(String segmentId) {
        return keys.single().key(bitmapName(segmentId));
    }

    /** The name of the segment's bitmap in any shard (KeySpace.Keys.key names the shard's key). */
    public static String bitmapName(String segmentId) {
        return "segment:" + segmentId;
    }

    /**
     * Swaps in a new membership atomically; answers the member count once every eligibility view has it (as every
     * write here: changes/SettledWrites).
     */
    public Uni<Long> replace(String segmentId, Channel channel, IdentifierType type, RoaringBitmap matched) {
        if (keys.shards() > 1) {
            return replaceShardByShard(segmentId, channel, type, matched);
        }
        byte[] bitmap = MatchingUpload.toRedisBitmap(matched);
        return settled.write(changes -> {
            byte[][] promoted = {keys.single().key("staging:" + UUID.randomUUID()), base.liveKey(),
                bitmapKey(segmentId), registryKey(), changes.seq(), changes.stream()};
            return redis.withShared(r -> PROMOTE.run(r, ScriptOutputType.INTEGER, promoted, bytes(segmentId),
                    bytes(channel.wireName()), bytes(type.wireName()), bytes(Instant.now().toString()), bitmap));
        });
    }

    /**
     * In a base of several shards: each shard's bitmap at once (segment_shard.lua), then the registry with the summed
     * count. A report between the two may count some shards' new members and others' old ones: segments are the
     * operator's own lists, replaced whole (docs/scaling.md, "Reads").
     */
    private Uni<Long> replaceShardByShard(String segmentId, Channel channel, IdentifierType type,
                                         RoaringBitmap matched) {
        byte[][] parts = MatchingUpload.toRedisBitmaps(matched, keys.shards());
        List<Uni<Long>> shards = new ArrayList<>();
        for (int s = 0; s < keys.shards(); s++) {
            KeySpace.Keys at = keys.shard(s);
            byte[] part = parts[s];
            shards.add(settled.step(s, changes -> redis.withShared(at.slot(), r -> SHARD.<Long>run(r,
                    ScriptOutputType.INTEGER, new byte[][] {at.key("staging:" + UUID.randomUUID()),
                        at.key(SubscriberStore.LIVE), at.key(bitmapName(segmentId)),
                        at.key("scratch:" + UUID.randomUUID()), at.key("relinking"), changes.seq(), changes.stream()},
                    part))));
        }
        return Uni.join().all(shards).andFailFast().flatMap(counts -> {
            long members = counts.stream().mapToLong(Long::longValue).sum();
            Map<String, Object> entry = new java.util.LinkedHashMap<>();
            entry.put("channel", channel.wireName());
            entry.put("identifier_type", type.wireName());
            entry.put("members", members);
            entry.put("updated_at", Instant.now().toString());
            byte[] meta;
            try {
                meta = json.writeValueAsBytes(entry);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            return redis.withShared(global.slot(), r -> r.hset(registryKey(), bytes(segmentId), meta))
                    .call(set -> settled.settle(java.util.stream.IntStream.range(0, keys.shards()).boxed().toList()))
                    .replaceWith(members);
        });
    }

    public Uni<List<Segment>> list() {
        return redis.withShared(r -> r.hgetall(registryKey())).map(entries -> {
            List<Segment> segments = new ArrayList<>(entries.size());
            for (Map.Entry<byte[], byte[]> e : entries.entrySet()) {
                segments.add(parse(new String(e.getKey(), StandardCharsets.UTF_8), e.getValue()));
            }
            segments.sort(Comparator.comparing(Segment::id));
            return segments;
        });
    }

    public Uni<Optional<Segment>> find(String segmentId) {
        return redis.withShared(r -> r.hget(registryKey(), bytes(segmentId)))
                .map(value -> Optional.ofNullable(value).map(v -> parse(segmentId, v)));
    }

    /**
     * Deletes the segment; whether it existed. In a base of several shards the registry entry goes first, then each
     * shard's bitmap.
     */
    public Uni<Boolean> delete(String segmentId) {
        if (keys.shards() > 1) {
            return redis.withShared(global.slot(), r -> r.hdel(registryKey(), bytes(segmentId))).call(removed -> {
                List<Uni<Long>> shards = new ArrayList<>();
                for (int s = 0; s < keys.shards(); s++) {
                    KeySpace.Keys at = keys.shard(s);
                    shards.add(settled.write(s, changes -> redis.withShared(at.slot(), r -> BITMAP_DELETE.run(r,
                            ScriptOutputType.INTEGER, new byte[][] {at.key(bitmapName(segmentId)), changes.seq(),
                                changes.stream()}))));
                }
                return Uni.join().all(shards).andFailFast();
            }).map(removed -> removed == 1L);
        }
        return settled.write(changes -> redis.withShared(r -> DELETE.<Long>run(r, ScriptOutputType.INTEGER,
                new byte[][] {registryKey(), bitmapKey(segmentId), changes.seq(), changes.stream()}, bytes(segmentId))))
                .map(n -> n == 1L);
    }

    @Override
    public Uni<Void> eraseMember(long number) {
        return redis.withShared(global.slot(), r -> r.hkeys(registryKey()))
                .flatMap(ids -> MemberBits.clear(redis, keys, ids.stream().map(id -> bitmapName(str(id))).toList(),
                        number))
                .replaceWithVoid();
    }

    private Segment parse(String id, byte[] meta) {
        try {
            JsonNode node = json.readTree(meta);
            return new Segment(id, Channel.fromWireName(node.get("channel").asText()).orElseThrow(),
                    IdentifierType.fromWireName(node.get("identifier_type").asText()).orElseThrow(),
                    node.get("members").asLong(), Instant.parse(node.get("updated_at").asText()));
        } catch (IOException e) {
            throw new IllegalStateException("unreadable segment registry entry", e);
        }
    }

    /** The registry hash, for scripts that check a segment's channel in the same step as they count. */
    public byte[] registryKey() {
        return global.key("segments");
    }

}
