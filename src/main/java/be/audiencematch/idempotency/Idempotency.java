package be.audiencematch.idempotency;

import be.audiencematch.kernel.KeyPrefix;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.RedisConnections;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.SetArgs;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * {@code Idempotency-Key} on the streamed writes (list uploads, bulk loads): a client that lost the answer sends the
 * request again with the same key and gets the first outcome back, counted once (docs/architecture.md, "Redis key
 * layout").
 * <pre>
 *   {p}idem:{advertiser}:{key}        string   a list upload's key
 *   {p}idem-bulk:{subject}:{key}      string   a bulk load's key (another family, so no advertiser can name one)
 * </pre>
 * Each holds "pending" while the first request runs (expires after PENDING_TTL, so a service that died half-way does
 * not block the key for a day), then its owner lines and the first outcome as JSON for OUTCOME_TTL (the owner again:
 * a subject with a ':' must not reach another's key). A second request while the first still runs gets 409 (retry
 * later); one for another target (another audience) gets 422. Not atomic with the write itself: a service that stops
 * between writing and recording the outcome does the write again on a retry; that window is one Redis round trip,
 * and every write it guards is safe to repeat apart from its counts.
 */
@ApplicationScoped
public class Idempotency {

    public static final String HEADER = "Idempotency-Key";
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final String PENDING = "pending";
    static final Duration OUTCOME_TTL = Duration.ofHours(24);
    static final Duration PENDING_TTL = Duration.ofMinutes(15);
    private static final Duration RELEASE_MARGIN = Duration.ofMinutes(1);

    private final RedisConnections redis;
    private final String prefix;
    private final ObjectMapper json;

    public Idempotency(RedisConnections redis, ObjectMapper json,
                       @KeyPrefix String prefix) {
        this.redis = redis;
        this.json = json;
        this.prefix = prefix;
    }

    /** A list upload: once per (advertiser, key), for one audience. */
    public <T> T upload(String advertiser, String audienceId, String key, InputStream body, Class<T> outcome,
                        Supplier<T> upload) {
        return once("idem:" + advertiser + ":", advertiser + "\n" + audienceId + "\n", key, body, outcome, upload,
                "an upload to another audience");
    }

    /** A bulk load: once per (subject of the feed's token, key). */
    public <T> T bulkLoad(String subject, String key, InputStream body, Class<T> outcome, Supplier<T> load) {
        return once("idem-bulk:" + subject + ":", subject + "\n", key, body, outcome, load, "another request");
    }

    /**
     * Runs {@code work} once per key under {@code family}; a repeat gets the first outcome and its body is read into
     * nothing. Without a key, simply runs it. Called on a worker thread (the bodies stream).
     */
    private <T> T once(String family, String owner, String key, InputStream body, Class<T> type, Supplier<T> work,
                       String otherUse) {
        if (key == null) {
            return work.get();
        }
        if (!VALID.matcher(key).matches()) {
            throw ProblemException.badRequest("header '" + HEADER + "' must be 1 to 100 characters of "
                    + "A-Z, a-z, 0-9, '.', '_', ':' or '-'");
        }
        byte[] redisKey = bytes(prefix + family + key);
        String claimed = redis.withShared(r -> r.set(redisKey, bytes(PENDING),
                SetArgs.Builder.nx().ex(PENDING_TTL.toSeconds()))).await().indefinitely();
        if (!"OK".equals(claimed)) {
            T first = recorded(redisKey, owner, type, otherUse);
            discard(body);
            return first;
        }
        long claimedAt = System.currentTimeMillis();
        T outcome;
        try {
            outcome = work.get();
        } catch (RuntimeException e) {
            // What was written is safe to write again: the same key may try again. Should Redis fail here too (it
            // went away mid-request), the claim is given back once Redis answers again, so that the client's resend
            // after the outage is not refused until the claim expires; meanwhile it gets 409 (send it again later).
            try {
                redis.withShared(r -> r.del(redisKey)).await().indefinitely();
            } catch (RuntimeException releaseFailed) {
                releaseLater(redisKey, claimedAt + PENDING_TTL.toMillis() - RELEASE_MARGIN.toMillis());
            }
            throw e;
        }
        String stored = owner + write(outcome);
        redis.withShared(r -> r.set(redisKey, bytes(stored), SetArgs.Builder.ex(OUTCOME_TTL.toSeconds())))
                .await().indefinitely();
        return outcome;
    }

    /**
     * Deletes a claim in the background, tried again with back-off until Redis answers, and only until
     * {@code untilMillis}: shortly before the claim would expire by itself (and could be someone else's).
     */
    private void releaseLater(byte[] redisKey, long untilMillis) {
        Uni.createFrom().completionStage(() -> redis.shared().thenCompose(c -> c.async().del(redisKey)))
                .onFailure().retry().withBackOff(Duration.ofMillis(500), Duration.ofSeconds(10))
                .expireAt(untilMillis)
                .subscribe().with(deleted -> { }, failure -> { });
    }

    /** The first outcome, when it was the same owner's request ({@code owner}: its lines). */
    private <T> T recorded(byte[] redisKey, String owner, Class<T> type, String otherUse) {
        Optional<String> stored = Optional.ofNullable(redis.withShared(r -> r.get(redisKey)).await().indefinitely())
                .map(v -> new String(v, StandardCharsets.UTF_8));
        if (stored.isEmpty() || stored.get().equals(PENDING)) {
            // Gone between the two commands (a failed first attempt) counts as still running: the client retries.
            throw new ProblemException(409, "Conflict", "a request with this " + HEADER
                    + " is still running; send it again later");
        }
        String value = stored.get();
        if (!value.startsWith(owner)) {
            throw new ProblemException(422, "Unprocessable Content", "header '" + HEADER + "' was used for "
                    + otherUse);
        }
        try {
            return json.readValue(value.substring(owner.length()), type);
        } catch (IOException e) {
            throw new IllegalStateException("an unreadable request outcome in Redis", e);
        }
    }

    private String write(Object outcome) {
        try {
            return json.writeValueAsString(outcome);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a repeated body to its end, so the connection stays usable, and keeps none of it. */
    private static void discard(InputStream body) {
        try (body) {
            body.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            // The client went away; the answer is the same either way.
        }
    }

    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
