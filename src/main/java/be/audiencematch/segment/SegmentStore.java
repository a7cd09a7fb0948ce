package be.audiencematch.segment;

import be.audiencematch.changes.SettledWrites;
import be.audiencematch.consent.Channel;
import be.audiencematch.consent.MemberEraser;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.KeySpace;
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
    public Uni<Long> replace(String segmentId, Channel channel, IdentifierType type, byte[] bitmap) {
        return settled.write(changes -> {
            byte[][] promoted = {keys.single().key("staging:" + UUID.randomUUID()), base.liveKey(),
                bitmapKey(segmentId), registryKey(), changes.seq(), changes.stream()};
            return redis.withShared(r -> PROMOTE.run(r, ScriptOutputType.INTEGER, promoted, bytes(segmentId),
                    bytes(channel.wireName()), bytes(type.wireName()), bytes(Instant.now().toString()), bitmap));
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

    /** Deletes the segment; whether it existed. */
    public Uni<Boolean> delete(String segmentId) {
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
