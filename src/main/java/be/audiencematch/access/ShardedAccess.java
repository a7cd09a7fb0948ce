package be.audiencematch.access;

import be.audiencematch.audience.AudienceStore;
import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.export.ExportStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import be.audiencematch.segment.SegmentStore;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The right of access in a base of several shards (docs/privacy.md, "Right of access"; docs/scaling.md, "Reads"): the
 * registries on the global keys, then the subscriber's home shard ({@code subscriber_access_home.lua}: the record, its
 * bits at its local number in every named bitmap), then the campaigns on its audiences and its cursors' metadata, with
 * the registries read again: one that gained a member since the first read means the home shard's answer may lack
 * it, and the read starts over (as {@code subscriber_access.lua}'s "retry" in a base of one shard, which does it all
 * in one script). Answers in that script's shape, its number the global one.
 */
final class ShardedAccess {

    private static final RedisScript HOME =
            RedisScript.load("subscriber_access_home", "record_lib", "audit_lib", "access_lib");

    private final RedisConnections redis;
    private final SubscriberStore base;
    private final SegmentStore segments;
    private final AudienceStore audiences;
    private final CampaignStore campaigns;
    private final ExportStore exports;
    private final KeySpace keys;

    ShardedAccess(RedisConnections redis, SubscriberStore base, SegmentStore segments, AudienceStore audiences,
                  CampaignStore campaigns, ExportStore exports, KeySpace keys) {
        this.redis = redis;
        this.base = base;
        this.segments = segments;
        this.audiences = audiences;
        this.campaigns = campaigns;
        this.exports = exports;
        this.keys = keys;
    }

    Uni<Optional<List<Object>>> held(String subscriberId, int attempt, int attempts) {
        long now = System.currentTimeMillis();
        return registries(now).flatMap(before -> home(subscriberId, before).flatMap(home -> {
            if (home == null) {
                return Uni.createFrom().item(Optional.<List<Object>>empty());
            }
            return globalPart(home, now).flatMap(reply -> registries(now).flatMap(after -> {
                if (before.covers(after)) {
                    return Uni.createFrom().item(Optional.of(reply));
                }
                if (attempt >= attempts) {
                    return Uni.createFrom().failure(new ProblemException(503, "Service Unavailable",
                            "segments, audiences or campaigns kept changing during the read; ask again"));
                }
                return held(subscriberId, attempt + 1, attempts);
            }));
        }));
    }

    private Uni<AccessRegistries> registries(long now) {
        return redis.withShared(keys.global().slot(), r -> AccessRegistries.read(r, now, segments, audiences,
                campaigns, exports));
    }

    /** The home shard's part: [g, household, types, mask, changed, segments, audiences, cursors], or null. */
    private Uni<List<Object>> home(String subscriberId, AccessRegistries g) {
        int shard = base.homeShard(subscriberId);
        KeySpace.Keys at = keys.shard(shard);
        byte[][] times = base.consentTimesKeysOf(subscriberId);
        List<byte[]> k = new ArrayList<>(List.of(base.recordKeyOf(subscriberId), times[0], times[1],
                at.key(SubscriberStore.LIVE), at.key(SubscriberStore.consentName(Purpose.TV)),
                at.key(SubscriberStore.consentName(Purpose.WEB)),
                at.key(SubscriberStore.consentName(Purpose.ADS_AND_DATA))));
        List<byte[]> argv = new ArrayList<>(List.of(bytes(subscriberId), bytes("" + g.segments().size()),
                bytes("" + g.audiences().size()), bytes("" + g.cursors().size())));
        g.segments().forEach(id -> {
            k.add(at.key(SegmentStore.bitmapName(id)));
            argv.add(bytes(id));
        });
        g.audiences().forEach(id -> {
            k.add(at.key(AudienceStore.membersName(id)));
            argv.add(bytes(id));
        });
        g.cursors().forEach(id -> {
            k.add(at.key(ExportStore.cursorName(id)));
            argv.add(bytes(id));
        });
        return redis.withShared(at.slot(), r -> HOME.<List<Object>>run(r, ScriptOutputType.MULTI,
                k.toArray(new byte[0][]), argv.toArray(new byte[0][]))).map(reply -> {
                    if (reply == null || reply.isEmpty() || reply.get(0) == null) {
                        return null;
                    }
                    List<Object> out = new ArrayList<>(reply);
                    out.set(0, (Long) reply.get(0) * keys.shards() + shard);
                    return out;
                });
    }

    /** The campaigns on the subscriber's audiences and its cursors' metadata: the reply in subscriber_access's shape. */
    @SuppressWarnings("unchecked")
    private Uni<List<Object>> globalPart(List<Object> home, long now) {
        List<String> inAudiences = strings((List<byte[]>) home.get(6));
        List<String> cursors = strings((List<byte[]>) home.get(7));
        return redis.withShared(keys.global().slot(), r -> r.smembers(campaigns.allKey()).thenCompose(ids -> {
            List<CompletableFuture<byte[]>> audienceOf = new ArrayList<>();
            ids.forEach(id -> audienceOf.add(r.hget(campaigns.campaignKey(str(id)), bytes("audience"))
                    .toCompletableFuture()));
            List<CompletableFuture<List<io.lettuce.core.KeyValue<byte[], byte[]>>>> metas = new ArrayList<>();
            cursors.forEach(id -> metas.add(r.hmget(exports.metaKey(id), bytes("segment"), bytes("key_version"),
                    bytes("created_at")).toCompletableFuture()));
            List<CompletableFuture<?>> all = new ArrayList<>(audienceOf);
            all.addAll(metas);
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(done -> {
                long onAudiences = audienceOf.stream().map(CompletableFuture::join)
                        .filter(a -> a != null && inAudiences.contains(str(a))).count();
                List<Object> flat = new ArrayList<>();
                for (CompletableFuture<List<io.lettuce.core.KeyValue<byte[], byte[]>>> meta : metas) {
                    List<io.lettuce.core.KeyValue<byte[], byte[]>> values = meta.join();
                    if (values.get(0).hasValue()) {
                        for (io.lettuce.core.KeyValue<byte[], byte[]> v : values) {
                            flat.add(v.hasValue() ? v.getValue() : new byte[0]);
                        }
                    }
                }
                List<Object> reply = new ArrayList<>(home.subList(0, 6));
                reply.add((long) inAudiences.size());
                reply.add(onAudiences);
                reply.add(flat);
                return reply;
            });
        }));
    }

    private static List<String> strings(java.util.Collection<byte[]> values) {
        List<String> out = new ArrayList<>(values.size());
        values.forEach(v -> out.add(str(v)));
        return out;
    }

    private static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
