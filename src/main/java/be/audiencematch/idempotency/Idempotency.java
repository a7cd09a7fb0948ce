package be.audiencematch.idempotency;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.SetArgs;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * Each holds "pending" and a random claim id while the first request runs (expires after PENDING_TTL, so a service that died half-way does
 * not block the key for a day), then its owner lines and the first outcome as JSON for OUTCOME_TTL (the owner again:
 * a subject with a ':' must not reach another's key). A second request while the first still runs gets 409 (retry
 * later); one for another target (another audience) gets 422. Not atomic with the write itself: a service that stops
 * between writing and recording the outcome does the write again on a retry; that window is one Redis round trip,
 * and every write it guards is safe to repeat apart from its counts.
 * <p>
 * A claim whose request failed while Redis was away is given back in two ways, so the client's resend is not
 * refused for the claim's whole lifetime: in the background once Redis answers again (retried on a scheduler of its
 * own, not Mutiny's shared one, which a restart of the application replaces), and by this replica itself when the
 * same key comes back to it before that (it knows the claim is its own abandoned one).
 */
@ApplicationScoped
public class Idempotency {

    public static final String HEADER = "Idempotency-Key";
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final String PENDING = "pending";
    private static final RedisScript RELEASE = RedisScript.load("idempotency_release");
    static final Duration OUTCOME_TTL = Duration.ofHours(24);
    static final Duration PENDING_TTL = Duration.ofMinutes(15);

    private final RedisConnections redis;
    private final KeySpace.Keys global;
    private final ObjectMapper json;
    /** Claims this replica gave up on (their request failed) and could not yet give back: key name to claim value. */
    private final Map<String, String> abandoned = new ConcurrentHashMap<>();
    private static final int MOST_ABANDONED = 10_000;
    private final ScheduledExecutorService releases = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "idempotency-release");
        thread.setDaemon(true);
        return thread;
    });

    public Idempotency(RedisConnections redis, ObjectMapper json,
                       KeySpace keys) {
        this.redis = redis;
        this.json = json;
        this.global = keys.global();
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
        String keyName = global.name(family + key);
        byte[] redisKey = bytes(keyName);
        String earlier = abandoned.remove(keyName);
        if (earlier != null) {
            // Our own earlier claim, whose request failed: give it back now rather than answer 409 until it expires.
            try {
                release(redisKey, earlier).await().indefinitely();
            } catch (RuntimeException stillAway) {
                abandoned.putIfAbsent(keyName, earlier);
                throw stillAway;
            }
        }
        // Each claim is "pending" and a value of its own, so that only the request that took it gives it back.
        String claim = PENDING + " " + UUID.randomUUID();
        String claimed = redis.withShared(r -> r.set(redisKey, bytes(claim),
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
                release(redisKey, claim).await().indefinitely();
            } catch (RuntimeException releaseFailed) {
                if (abandoned.size() < MOST_ABANDONED) {
                    abandoned.put(keyName, claim);
                }
                releaseLater(keyName, claim, claimedAt + PENDING_TTL.toMillis());
            }
            throw e;
        }
        String stored = owner + write(outcome);
        redis.withShared(r -> r.set(redisKey, bytes(stored), SetArgs.Builder.ex(OUTCOME_TTL.toSeconds())))
                .await().indefinitely();
        return outcome;
    }

    /** Gives back {@code claim} on {@code redisKey} if it is still there (not once it expired and was retaken). */
    private Uni<Long> release(byte[] redisKey, String claim) {
        return redis.withShared(r -> RELEASE.<Long>run(r, ScriptOutputType.INTEGER, new byte[][] {redisKey},
                bytes(claim)));
    }

    /**
     * Gives a claim back in the background, tried again with back-off until Redis answers, until the claim would
     * have expired by itself anyway.
     */
    private void releaseLater(String keyName, String claim, long untilMillis) {
        release(bytes(keyName), claim)
                .onFailure().retry().withExecutor(releases).withBackOff(Duration.ofMillis(500), Duration.ofSeconds(10))
                .expireAt(untilMillis)
                .subscribe().with(released -> abandoned.remove(keyName, claim),
                        failure -> abandoned.remove(keyName, claim));
    }

    @PreDestroy
    void stop() {
        releases.shutdownNow();
    }

    /** The first outcome, when it was the same owner's request ({@code owner}: its lines). */
    private <T> T recorded(byte[] redisKey, String owner, Class<T> type, String otherUse) {
        Optional<String> stored = Optional.ofNullable(redis.withShared(r -> r.get(redisKey)).await().indefinitely())
                .map(v -> new String(v, StandardCharsets.UTF_8));
        // A claim is one line; a recorded outcome starts with its owner's lines.
        if (stored.isEmpty() || stored.get().indexOf('\n') < 0) {
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
