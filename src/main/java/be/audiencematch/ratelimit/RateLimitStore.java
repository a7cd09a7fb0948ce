package be.audiencematch.ratelimit;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.kernel.RateLimitConfig;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The shared buckets and in-flight counters, one small key per role and subject ({@code rate:} and {@code inflight:}
 * in docs/architecture.md's key table). Subjects are named by a digest: an advertiser's name is no personal data, but
 * a key never needs to show it, and a digest keeps odd characters (a cluster hash tag's braces) out of keys.
 */
@ApplicationScoped
public class RateLimitStore {

    private static final RedisScript BUCKET = RedisScript.load("rate_bucket");
    private static final RedisScript IN_FLIGHT = RedisScript.load("in_flight");
    private static final byte[] TAKE = bytes("take");
    private static final byte[] GIVE = bytes("give");

    private final RedisConnections redis;
    private final KeySpace.Keys global;

    public RateLimitStore(RedisConnections redis,
                          KeySpace keys) {
        this.redis = redis;
        this.global = keys.global();
    }

    /** Takes a token from the caller's bucket: 0 when the request may go, else the milliseconds until it may. */
    public Uni<Long> take(String role, String subject, RateLimitConfig.Bucket bucket) {
        byte[][] keys = {bucketKey(role, subject)};
        return redis.withShared(r -> BUCKET.<Long>run(r, ScriptOutputType.INTEGER, keys,
                bytes(Double.toString(bucket.rate())), bytes(Integer.toString(bucket.burst()))));
    }

    /** Takes an upload slot; false when {@code cap} are taken already. */
    public Uni<Boolean> takeSlot(String role, String subject, int cap, long leaseMillis) {
        byte[][] keys = {inFlightKey(role, subject)};
        return redis.withShared(r -> IN_FLIGHT.<Long>run(r, ScriptOutputType.INTEGER, keys, TAKE,
                bytes(Integer.toString(cap)), bytes(Long.toString(leaseMillis)))).map(taken -> taken == 1L);
    }

    public Uni<Void> giveSlot(String role, String subject) {
        byte[][] keys = {inFlightKey(role, subject)};
        return redis.withShared(r -> IN_FLIGHT.<Long>run(r, ScriptOutputType.INTEGER, keys, GIVE)).replaceWithVoid();
    }

    public byte[] bucketKey(String role, String subject) {
        return global.key("rate:" + role + ":" + digest(subject));
    }

    public byte[] inFlightKey(String role, String subject) {
        return global.key("inflight:" + role + ":" + digest(subject));
    }

    /** The first 128 bits of the subject's SHA-256, in hex. */
    static String digest(String subject) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(subject.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
