package be.audiencematch.access;

import be.audiencematch.access.AccessApi.ConsentHeld;
import be.audiencematch.access.AccessApi.Exported;
import be.audiencematch.access.AccessApi.SubscriberHeld;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.KeyPrefix;
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
 * their change times, segments, audiences, campaigns and export cursors (key layout: docs/architecture.md).
 */
@ApplicationScoped
public class AccessStore {

    private static final RedisScript ACCESS = RedisScript.load("subscriber_access", "record_lib", "audit_lib");

    private final RedisConnections redis;
    private final SubscriberStore base;
    private final byte[] prefix;

    public AccessStore(RedisConnections redis, SubscriberStore base,
                       @KeyPrefix String prefix) {
        this.redis = redis;
        this.base = base;
        this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
    }

    /** Empty for an unknown or erased subscriber. */
    public Uni<Optional<SubscriberHeld>> held(String subscriberId) {
        byte[] now = Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.US_ASCII);
        return redis.withShared(r -> ACCESS.<List<Object>>run(r, ScriptOutputType.MULTI, new byte[0][], prefix,
                base.recordKeyOf(subscriberId), subscriberId.getBytes(StandardCharsets.UTF_8), now))
                .map(reply -> reply == null || reply.isEmpty() || reply.get(0) == null ? Optional.empty()
                        : Optional.of(held(subscriberId, reply)));
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
