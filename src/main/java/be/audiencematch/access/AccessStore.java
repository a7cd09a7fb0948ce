package be.audiencematch.access;

import be.audiencematch.access.AccessApi.ConsentHeld;
import be.audiencematch.access.AccessApi.Exported;
import be.audiencematch.access.AccessApi.SubscriberHeld;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.audience.AudienceStore;
import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.export.ExportStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.segment.SegmentStore;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads what the service holds on one subscriber in one script (subscriber_access.lua): the record, consents and
 * their change times, segments, audiences, campaigns and export cursors (key layout: docs/architecture.md). The
 * script declares every key it reads, so the registries (segments, audiences, campaigns, cursors) are read first and
 * their members' keys named; a registry that gained a member in between makes the script answer "retry".
 */
@ApplicationScoped
public class AccessStore {

    private static final RedisScript ACCESS =
            RedisScript.load("subscriber_access", "record_lib", "audit_lib", "access_lib");
    /** Reads of the registries and the script again, before giving up with 503 (a registry changing all the time). */
    private static final int ATTEMPTS = 5;

    private final RedisConnections redis;
    private final SubscriberStore base;
    private final SegmentStore segments;
    private final AudienceStore audiences;
    private final CampaignStore campaigns;
    private final ExportStore exports;
    /** A base of several shards: the record's shard and the global keys are read apart (null with one shard). */
    private final ShardedAccess sharded;

    public AccessStore(RedisConnections redis, SubscriberStore base, SegmentStore segments, AudienceStore audiences,
                       CampaignStore campaigns, ExportStore exports, KeySpace keys) {
        this.redis = redis;
        this.base = base;
        this.segments = segments;
        this.audiences = audiences;
        this.campaigns = campaigns;
        this.exports = exports;
        this.sharded = keys.shards() > 1
                ? new ShardedAccess(redis, base, segments, audiences, campaigns, exports, keys) : null;
    }

    /** Empty for an unknown or erased subscriber. */
    public Uni<Optional<SubscriberHeld>> held(String subscriberId) {
        return attempt(subscriberId, 1);
    }

    private Uni<Optional<SubscriberHeld>> attempt(String subscriberId, int attempt) {
        if (sharded != null) {
            return sharded.held(subscriberId, attempt, ATTEMPTS).map(reply -> reply.map(r -> held(subscriberId, r)));
        }
        long at = System.currentTimeMillis();
        byte[] now = Long.toString(at).getBytes(StandardCharsets.US_ASCII);
        return redis.withShared(r -> AccessRegistries.read(r, at, segments, audiences,
                campaigns, exports)).flatMap(registries -> redis.withShared(r ->
                ACCESS.<List<Object>>run(r, ScriptOutputType.MULTI, keys(subscriberId, registries),
                        args(subscriberId, now, registries))))
                .flatMap(reply -> {
                    if (reply != null && reply.size() == 1 && reply.get(0) instanceof byte[] word
                            && "retry".equals(str(word))) {
                        if (attempt >= ATTEMPTS) {
                            return Uni.createFrom().failure(new ProblemException(503, "Service Unavailable",
                                    "segments, audiences or campaigns kept changing during the read; ask again"));
                        }
                        return attempt(subscriberId, attempt + 1);
                    }
                    return Uni.createFrom().item(reply == null || reply.isEmpty() || reply.get(0) == null
                            ? Optional.<SubscriberHeld>empty() : Optional.of(held(subscriberId, reply)));
                });
    }

    private byte[][] keys(String subscriberId, AccessRegistries g) {
        byte[][] times = base.consentTimesKeysOf(subscriberId);
        List<byte[]> keys = new ArrayList<>(List.of(base.recordKeyOf(subscriberId), times[0], times[1],
                base.liveKey(), base.consentKey(Purpose.TV), base.consentKey(Purpose.WEB),
                base.consentKey(Purpose.ADS_AND_DATA), segments.registryKey(), audiences.allKey(), campaigns.allKey(),
                exports.cursorsKey()));
        g.segments().forEach(id -> keys.add(segments.bitmapKey(id)));
        g.audiences().forEach(id -> keys.add(audiences.membersKey(id)));
        g.campaigns().forEach(id -> keys.add(campaigns.campaignKey(id)));
        g.cursors().forEach(id -> {
            keys.add(exports.cursorKey(id));
            keys.add(exports.metaKey(id));
        });
        return keys.toArray(new byte[0][]);
    }

    private static byte[][] args(String subscriberId, byte[] now, AccessRegistries g) {
        List<byte[]> args = new ArrayList<>(List.of(subscriberId.getBytes(StandardCharsets.UTF_8), now,
                count(g.segments()), count(g.audiences()), count(g.campaigns()), count(g.cursors())));
        for (List<String> ids : List.of(g.segments(), g.audiences(), g.campaigns(), g.cursors())) {
            ids.forEach(id -> args.add(id.getBytes(StandardCharsets.UTF_8)));
        }
        return args.toArray(new byte[0][]);
    }

    private static byte[] count(List<String> ids) {
        return Integer.toString(ids.size()).getBytes(StandardCharsets.US_ASCII);
    }

    @SuppressWarnings("unchecked")
    private static SubscriberHeld held(String subscriberId, List<Object> reply) {
        String household = str((byte[]) reply.get(1));
        List<String> types = new ArrayList<>();
        for (byte code : (byte[]) reply.get(2)) {
            for (IdentifierType t : IdentifierType.values()) {
                if (t.code() == code) {
                    types.add(t.wireName());
                }
            }
        }
        String mask = str((byte[]) reply.get(3));
        byte[] changed = (byte[]) reply.get(4);
        Map<String, ConsentHeld> consents = new LinkedHashMap<>();
        Purpose[] purposes = {Purpose.TV, Purpose.WEB, Purpose.ADS_AND_DATA};
        for (int k = 0; k < 3; k++) {
            consents.put(purposes[k].wireName(), new ConsentHeld(mask.charAt(k) == '1', changedAt(changed, k)));
        }
        List<String> segments = ((List<Object>) reply.get(5)).stream().map(b -> str((byte[]) b)).sorted().toList();
        List<Exported> exports = new ArrayList<>();
        List<Object> flat = (List<Object>) reply.get(8);
        for (int i = 0; i + 2 < flat.size(); i += 3) {
            exports.add(new Exported(str((byte[]) flat.get(i)), str((byte[]) flat.get(i + 1)),
                    str((byte[]) flat.get(i + 2))));
        }
        exports.sort(java.util.Comparator.comparing(Exported::exportedAt));
        return new SubscriberHeld(subscriberId, types, household.isEmpty() ? null : household, consents, segments,
                (Long) reply.get(6), (Long) reply.get(7), exports);
    }

    /** The k-th u32 of the change times (audit_lib.lua); null when absent or zero. */
    private static String changedAt(byte[] changed, int k) {
        if (changed == null || changed.length < 4 * k + 4) {
            return null;
        }
        long seconds = Integer.toUnsignedLong(ByteBuffer.wrap(changed, 4 * k, 4).getInt());
        return seconds == 0 ? null : Instant.ofEpochSecond(seconds).toString();
    }

    private static String str(byte[] b) {
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }
}
