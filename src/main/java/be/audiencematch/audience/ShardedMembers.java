package be.audiencematch.audience;

import be.audiencematch.changes.SettledWrites;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.matching.MatchingUpload;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static be.audiencematch.redis.Bytes.bytes;

/**
 * An upload's change to an audience's members in a base of several shards (docs/scaling.md, "Reads"): the metadata
 * is read first on the global keys (gone: nothing is written), then every shard's part at once
 * ({@code audience_members.lua}, the matches at their local numbers, kept where the subscriber consents and is not
 * relinking or loading), then the counts and the version on the global keys ({@code audience_counted.lua}); answered
 * once every view has every shard's part. A base of one shard does it all in one script (AudienceStore).
 * <p>
 * A report that comes between the shards' parts and the version counts some shards' new members under the old
 * version: the answer's label is off by one upload, as after any upload landing between a report's two steps.
 */
final class ShardedMembers {

    private static final RedisScript MEMBERS = RedisScript.load("audience_members", "view_lib", "bitmap_lib");
    private static final RedisScript COUNTED = RedisScript.load("audience_counted");

    enum Mode { MERGE, REPLACE, REMOVE }

    private final RedisConnections redis;
    private final SettledWrites settled;
    private final KeySpace keys;

    ShardedMembers(RedisConnections redis, SettledWrites settled, KeySpace keys) {
        this.redis = redis;
        this.settled = settled;
        this.keys = keys;
    }

    Uni<Boolean> change(Audience a, Mode mode, Purpose purpose, MatchingUpload.Outcome upload, byte[] metaKey) {
        String how = mode.name().toLowerCase(java.util.Locale.ROOT);
        byte[][] parts = MatchingUpload.toRedisBitmaps(upload.matched(), keys.shards());
        return redis.withShared(keys.global().slot(), r -> r.hget(metaKey, bytes("expires_ms"))).flatMap(expires -> {
            if (expires == null) {
                return Uni.createFrom().item(false);
            }
            List<Uni<Long>> shards = new ArrayList<>();
            for (int s = 0; s < keys.shards(); s++) {
                KeySpace.Keys at = keys.shard(s);
                byte[] matched = parts[s];
                shards.add(settled.step(s, changes -> redis.withShared(at.slot(), r -> MEMBERS.<Long>run(r,
                        ScriptOutputType.INTEGER, new byte[][] {at.key(AudienceStore.membersName(a.id())),
                            at.key("staging:" + UUID.randomUUID()), at.key("scratch:" + UUID.randomUUID()),
                            changes.seq(), changes.stream(), at.key(SubscriberStore.consentName(purpose)),
                            at.key("relinking"), at.key("loading")},
                        bytes(how), matched, expires))));
            }
            return Uni.join().all(shards).andFailFast()
                    .flatMap(written -> redis.withShared(keys.global().slot(), r -> COUNTED.<Long>run(r,
                            ScriptOutputType.INTEGER, new byte[][] {metaKey}, bytes(how), num(upload.received()),
                            num(upload.valid()), num(upload.invalid()), num(upload.plaintextRejected()))))
                    .call(counted -> settled.settle(IntStream.range(0, keys.shards()).boxed().toList()))
                    .map(counted -> counted == 1L);
        });
    }

    private static byte[] num(long n) {
        return bytes(Long.toString(n));
    }
}
