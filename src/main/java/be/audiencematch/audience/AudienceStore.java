package be.audiencematch.audience;

import be.audiencematch.changes.SettledWrites;
import be.audiencematch.consent.Channel;
import be.audiencematch.consent.MemberEraser;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.matching.MatchingUpload;
import be.audiencematch.records.OwnedRecords;
import be.audiencematch.redis.MemberBits;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;

import static be.audiencematch.redis.Bytes.bytes;
import static be.audiencematch.redis.Bytes.str;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Advertiser audiences in Redis. Every key expires with the audience:
 * <pre>
 *   {p}audience:{id}                 hash    advertiser, name, channel, identifier_type, upload counts, times
 *   {p}audience:{id}:members         bitmap  bit n set when subscriber n was on the list and consented to the
 *                                            channel's purpose at upload time (no digest is kept)
 *   {p}advertiser:{sub}:audiences    set     the advertiser's audience ids (pruned as they expire)
 *   {p}audiences                     set     every audience id, so an erasure reaches all member bitmaps
 *   {p}scratch:report                string  scratch for one report, inside one script call
 * </pre>
 */
@ApplicationScoped
public class AudienceStore implements MemberEraser {

    private static final RedisScript MERGE = RedisScript.load("audience_merge", "view_lib");
    private static final RedisScript REMOVE = RedisScript.load("audience_remove", "view_lib", "bitmap_lib");
    private static final RedisScript REPLACE = RedisScript.load("audience_replace", "view_lib");
    private static final RedisScript REPORT = RedisScript.load("audience_report");
    private static final RedisScript COUNT = RedisScript.load("audience_count");
    private static final RedisScript DELETE = RedisScript.load("bitmap_delete", "view_lib");

    private final RedisConnections redis;
    private final KeySpace keys;
    private final KeySpace.Keys global;
    private final SettledWrites settled;
    private final ShardedMembers sharded;

    public AudienceStore(RedisConnections redis, SettledWrites settled, KeySpace keys) {
        this.redis = redis;
        this.sharded = new ShardedMembers(redis, settled, keys);
        this.keys = keys;
        this.global = keys.global();
        this.settled = settled;
    }

    public Uni<Void> create(Audience a) {
        Map<String, String> fields = new HashMap<>();
        fields.put("advertiser", a.advertiser());
        fields.put("name", a.name());
        fields.put("channel", a.channel().wireName());
        if (a.identifierType() != null) {
            fields.put("identifier_type", a.identifierType().wireName());
        }
        fields.put("identifier_types", String.join(",", a.identifierTypes().stream()
                .map(IdentifierType::wireName).toList()));
        fields.put("received", "0");
        fields.put("valid", "0");
        fields.put("invalid", "0");
        fields.put("plaintext_rejected", "0");
        fields.put("created_at", a.createdAt().toString());
        fields.put("expires_at", a.expiresAt().toString());
        fields.put("expires_ms", Long.toString(a.expiresAt().toEpochMilli()));
        return redis.withShared(r -> OwnedRecords.create(r, metaKey(a.id()), advertiserKey(a.advertiser()), allKey(),
                a.id(), a.expiresAt(), fields)).replaceWithVoid();
    }

    public Uni<Optional<Audience>> find(String id) {
        return redis.withShared(r -> r.hgetall(metaKey(id))).map(fields -> fields.isEmpty()
                ? Optional.empty() : Optional.of(parse(id, fields)));
    }

    /** The advertiser's live audiences; ids whose metadata expired are pruned from its set on the way. */
    public Uni<List<Audience>> listOf(String advertiser) {
        return redis.withShared(r -> OwnedRecords.live(r, advertiserKey(advertiser), List.of(), this::metaKey,
                AudienceStore::parse));
    }

    /**
     * Adds an upload's matches; false when the audience vanished meanwhile. Like every change of members here, it
     * completes once every eligibility view has it (changes/SettledWrites).
     */
    public Uni<Boolean> merge(Audience a, Purpose purpose, MatchingUpload.Outcome upload) {
        if (keys.shards() > 1) {
            return sharded.change(a, ShardedMembers.Mode.MERGE, purpose, upload, metaKey(a.id()));
        }
        byte[] consentKey = shard().key(SubscriberStore.consentName(purpose));
        return settled.write(changes -> {
            byte[][] keys = {metaKey(a.id()), membersKey(a.id()), consentKey,
                shard().key("staging:" + UUID.randomUUID()), changes.seq(), changes.stream()};
            return redis.withShared(r -> MERGE.<Long>run(r, ScriptOutputType.INTEGER, keys,
                    MatchingUpload.toRedisBitmap(upload.matched()), num(upload.received()), num(upload.valid()),
                    num(upload.invalid()), num(upload.plaintextRejected())));
        }).map(ok -> ok == 1L);
    }

    /** Removes an upload's matches from the members; false when the audience vanished meanwhile. */
    public Uni<Boolean> remove(Audience a, MatchingUpload.Outcome upload) {
        if (keys.shards() > 1) {
            return sharded.change(a, ShardedMembers.Mode.REMOVE, Purpose.TV, upload, metaKey(a.id()));
        }
        return settled.write(changes -> {
            byte[][] keys = {metaKey(a.id()), membersKey(a.id()), shard().key("staging:" + UUID.randomUUID()),
                changes.seq(), changes.stream()};
            return redis.withShared(r -> REMOVE.<Long>run(r, ScriptOutputType.INTEGER, keys,
                    MatchingUpload.toRedisBitmap(upload.matched())));
        }).map(ok -> ok == 1L);
    }

    /** Replaces the members and upload counts by one upload's, atomically; false when the audience vanished. */
    public Uni<Boolean> replace(Audience a, Purpose purpose, MatchingUpload.Outcome upload) {
        if (keys.shards() > 1) {
            return sharded.change(a, ShardedMembers.Mode.REPLACE, purpose, upload, metaKey(a.id()));
        }
        byte[] consentKey = shard().key(SubscriberStore.consentName(purpose));
        return settled.write(changes -> {
            byte[][] keys = {metaKey(a.id()), membersKey(a.id()), consentKey,
                shard().key("staging:" + UUID.randomUUID()), changes.seq(), changes.stream()};
            return redis.withShared(r -> REPLACE.<Long>run(r, ScriptOutputType.INTEGER, keys,
                    MatchingUpload.toRedisBitmap(upload.matched()), num(upload.received()), num(upload.valid()),
                    num(upload.invalid()), num(upload.plaintextRejected())));
        }).map(ok -> ok == 1L);
    }

    /** What one report call found. */
    public sealed interface ReportOutcome {
        /** No such audience, or another advertiser's. */
        record NotFound() implements ReportOutcome {
        }

        /** The segment at {@code index} (0-based, as named) does not exist. */
        record SegmentMissing(int index) implements ReportOutcome {
        }

        /** The segment at {@code index} belongs to another channel than the audience. */
        record SegmentOfOtherChannel(int index, String channel) implements ReportOutcome {
        }

        /** The exact count, for {@link be.audiencematch.privacy.AggregateDisclosure} only, and the audience. */
        record Counted(Audience audience, long exact) implements ReportOutcome {
        }
    }

    /**
     * Members of the advertiser's audience who consent now to its channel's purpose and are in every named segment:
     * the metadata and the segments' channels read from the global keys, then one count a shard, every shard at once,
     * summed (docs/scaling.md, "Reads"). A segment deleted between the two steps counts nobody.
     *
     * @param consentNames the consent bitmap's name in a shard, by channel (SubscriberStore.consentName)
     * @param segmentNames the named segments' bitmap names in a shard, in order (SegmentStore.bitmapName)
     */
    public Uni<ReportOutcome> report(String advertiser, String id, Map<Channel, String> consentNames,
                                     byte[] segmentRegistry, List<String> segmentIds, List<String> segmentNames) {
        byte[][] args = new byte[1 + segmentIds.size()][];
        args[0] = bytes(advertiser);
        for (int i = 0; i < segmentIds.size(); i++) {
            args[1 + i] = bytes(segmentIds.get(i));
        }
        return redis.withShared(global.slot(), r -> REPORT.<List<Object>>run(r, ScriptOutputType.MULTI,
                        new byte[][] {metaKey(id), segmentRegistry}, args))
                .flatMap(reply -> switch (((Long) reply.get(0)).intValue()) {
                    case 0 -> Uni.createFrom().item(new ReportOutcome.NotFound());
                    case 1 -> Uni.createFrom().item(
                            new ReportOutcome.SegmentMissing(((Long) reply.get(1)).intValue() - 1));
                    case 2 -> Uni.createFrom().item(new ReportOutcome.SegmentOfOtherChannel(
                            ((Long) reply.get(1)).intValue() - 1, str((byte[]) reply.get(2))));
                    default -> {
                        Map<byte[], byte[]> fields = new java.util.LinkedHashMap<>();
                        for (int i = 1; i + 1 < reply.size(); i += 2) {
                            fields.put((byte[]) reply.get(i), (byte[]) reply.get(i + 1));
                        }
                        Audience audience = parse(id, fields);
                        yield count(id, consentNames.get(audience.channel()), segmentNames)
                                .map(exact -> (ReportOutcome) new ReportOutcome.Counted(audience, exact));
                    }
                });
    }

    /** The report's count: one audience_count.lua call a shard, all sent at once, summed. */
    private Uni<Long> count(String id, String consentName, List<String> segmentNames) {
        return redis.onEach(keys.everyShard(), (shard, r) -> {
            byte[][] counted = new byte[3 + segmentNames.size()][];
            counted[0] = shard.key("scratch:report");
            counted[1] = shard.key(membersName(id));
            counted[2] = shard.key(consentName);
            for (int i = 0; i < segmentNames.size(); i++) {
                counted[3 + i] = shard.key(segmentNames.get(i));
            }
            return COUNT.<Long>run(r, ScriptOutputType.INTEGER, counted);
        }).map(counts -> counts.stream().mapToLong(Long::longValue).sum());
    }

    /**
     * Deletes the audience, once every eligibility view has dropped its members: the metadata and registries on the
     * global keys, then each shard's members (with one shard, one step).
     */
    public Uni<Void> delete(Audience a) {
        Uni<Void> meta = redis.withShared(global.slot(), r -> {
            r.srem(advertiserKey(a.advertiser()), bytes(a.id()));
            r.srem(allKey(), bytes(a.id()));
            return r.del(metaKey(a.id()));
        }).replaceWithVoid();
        List<Uni<Long>> members = new ArrayList<>();
        for (int s = 0; s < keys.shards(); s++) {
            KeySpace.Keys at = keys.shard(s);
            members.add(settled.write(s, changes -> redis.withShared(at.slot(), r -> DELETE.run(r,
                    ScriptOutputType.INTEGER, new byte[][] {at.key(membersName(a.id())), changes.seq(),
                        changes.stream()}))));
        }
        return meta.call(deleted -> Uni.join().all(members).andFailFast()).replaceWithVoid();
    }

    /** Clears the erased subscriber's bit in every live audience's members. */
    @Override
    public Uni<Void> eraseMember(long number) {
        return liveAudiences().flatMap(ids -> MemberBits.clear(redis, keys,
                ids.stream().map(AudienceStore::membersName).toList(), number)).replaceWithVoid();
    }

    /** Every audience id whose metadata is there; ids whose metadata expired leave the registry on the way. */
    private Uni<List<String>> liveAudiences() {
        return redis.withShared(global.slot(), r -> r.smembers(allKey()).thenCompose(ids -> {
            List<byte[]> all = List.copyOf(ids);
            List<CompletableFuture<Long>> present = all.stream()
                    .map(id -> r.exists(metaKey(str(id))).toCompletableFuture()).toList();
            return CompletableFuture.allOf(present.toArray(new CompletableFuture[0])).thenCompose(done -> {
                List<String> live = new ArrayList<>();
                List<byte[]> expired = new ArrayList<>();
                for (int i = 0; i < all.size(); i++) {
                    if (present.get(i).join() == 1L) {
                        live.add(str(all.get(i)));
                    } else {
                        expired.add(all.get(i));
                    }
                }
                return expired.isEmpty() ? CompletableFuture.completedFuture(live)
                        : r.srem(allKey(), expired.toArray(new byte[0][])).thenApply(removed -> live);
            });
        }));
    }

    private static Audience parse(String id, Map<byte[], byte[]> raw) {
        Map<String, String> f = new HashMap<>();
        raw.forEach((k, v) -> f.put(str(k), str(v)));
        // Audiences made before several types existed name their one type only.
        List<IdentifierType> types = java.util.Arrays.stream(f.getOrDefault("identifier_types",
                f.get("identifier_type")).split(",")).map(t -> IdentifierType.fromWireName(t).orElseThrow()).toList();
        return new Audience(id, f.get("advertiser"), f.get("name"),
                Channel.fromWireName(f.get("channel")).orElseThrow(),
                types.size() == 1 ? types.get(0) : null,
                Long.parseLong(f.get("received")), Long.parseLong(f.get("valid")), Long.parseLong(f.get("invalid")),
                Long.parseLong(f.get("plaintext_rejected")), Instant.parse(f.get("created_at")),
                Instant.parse(f.get("expires_at")), Long.parseLong(f.getOrDefault("version", "0")), types);
    }

    private byte[] metaKey(String id) {
        return global.key("audience:" + id);
    }

    /** The audience's members bitmap (campaigns intersect it; campaign rules name it for the eligibility script). */
    public byte[] membersKey(String id) {
        return shard().key(membersName(id));
    }

    /** The name of the audience's members bitmap in any shard. */
    public static String membersName(String id) {
        return "audience:" + id + ":members";
    }

    /** Subscriber-numbered bitmaps for the paths that read and write the base as one shard (KeySpace.single). */
    private KeySpace.Keys shard() {
        return keys.single();
    }

    private byte[] advertiserKey(String advertiser) {
        return global.key("advertiser:" + advertiser + ":audiences");
    }

    /** Every audience id, so an erasure, and the right of access, reach every member bitmap. */
    public byte[] allKey() {
        return global.key("audiences");
    }

    private static byte[] num(long n) {
        return bytes(Long.toString(n));
    }


}
