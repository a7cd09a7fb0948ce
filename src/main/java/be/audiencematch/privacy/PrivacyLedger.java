package be.audiencematch.privacy;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * Each advertiser's privacy budget and the answers already given, in Redis so that every replica shares them:
 * <pre>
 *   {p}privacy:spent:{advertiser}   sorted set  one entry per fresh answer: '{id}:{ε in millionths}' scored by when
 *                                               (ms); entries older than the budget window are dropped
 *   {p}privacy:answer:{sha256}      string      the noised count given to a question (its key: SHA-256 of the
 *                                               advertiser and the question), kept for the answer period
 * </pre>
 */
@ApplicationScoped
public class PrivacyLedger {

    private static final RedisScript ANSWER = RedisScript.load("privacy_answer");

    /** What the ledger decided for one question. */
    public enum State { PEEK, REPEATED, FRESH, REFUSED }

    /** {@code answer}: the noised count (repeated or fresh), else absent; budget left in millionths of ε. */
    public record Entry(State state, Long answer, long remainingMicros, Instant refillAt) {
    }

    private final RedisConnections redis;
    private final KeySpace.Keys global;

    public PrivacyLedger(RedisConnections redis,
                         KeySpace keys) {
        this.redis = redis;
        this.global = keys.global();
    }

    /** Answers {@code question} from the ledger, or spends ε on {@code candidate}, or refuses; one atomic step. */
    public Uni<Entry> ask(String advertiser, String question, long candidate, long epsilonMicros, long budgetMicros,
                          long windowMs, long periodMs) {
        return run(advertiser, "ask", answerKey(advertiser, question), Long.toString(candidate), epsilonMicros,
                budgetMicros, windowMs, periodMs);
    }

    /** The advertiser's budget now, spending nothing. */
    public Uni<Entry> peek(String advertiser, long epsilonMicros, long budgetMicros, long windowMs) {
        return run(advertiser, "peek", global.key("privacy:answer:-"), "", epsilonMicros, budgetMicros, windowMs,
                1);
    }

    private Uni<Entry> run(String advertiser, String mode, byte[] answerKey, String candidate, long epsilonMicros,
                           long budgetMicros, long windowMs, long periodMs) {
        byte[][] keys = {answerKey, global.key("privacy:spent:" + advertiser)};
        return redis.withShared(r -> ANSWER.<List<Object>>run(r, ScriptOutputType.MULTI, keys, bytes(mode),
                        num(epsilonMicros), num(budgetMicros), num(windowMs), num(periodMs), bytes(candidate),
                        bytes(UUID.randomUUID().toString())))
                .map(reply -> {
                    State state = State.values()[((Long) reply.get(0)).intValue()];
                    byte[] answer = (byte[]) reply.get(1);
                    Long value = answer == null || answer.length == 0 ? null
                            : Long.parseLong(new String(answer, StandardCharsets.US_ASCII));
                    long refill = (Long) reply.get(3);
                    return new Entry(state, value, (Long) reply.get(2), refill == 0 ? null : Instant.ofEpochMilli(refill));
                });
    }

    private byte[] answerKey(String advertiser, String question) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((advertiser + "\n" + question).getBytes(StandardCharsets.UTF_8));
            return global.key("privacy:answer:" + HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] num(long n) {
        return bytes(Long.toString(n));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
