package be.audiencematch.audience;

import be.audiencematch.audience.AudienceApi.UploadReport;
import be.audiencematch.kernel.KeyPrefix;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.RedisConnections;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.SetArgs;
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
 * {@code Idempotency-Key} on list uploads: a client that lost the answer to an upload sends it again with the same
 * key and gets the first outcome back, the rows counted once (docs/architecture.md, "Redis key layout").
 * <pre>
 *   {p}idem:{advertiser}:{key}   string   "pending" while the first request runs (expires after PENDING_TTL, so a
 *                                         service that died half-way does not block the key for a day), then
 *                                         "{advertiser}\n{audience id}\n{upload report JSON}" for OUTCOME_TTL
 *                                         (the advertiser again: a subject with a ':' must not reach another's key)
 * </pre>
 * A second request while the first still runs gets 409 (retry later); one that names another audience gets 422.
 * Not atomic with the merge itself: a service that stops between merging and recording the outcome counts a retry
 * again; that window is one Redis round trip.
 */
@ApplicationScoped
public class UploadIdempotency {

    public static final String HEADER = "Idempotency-Key";
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final String PENDING = "pending";
    static final Duration OUTCOME_TTL = Duration.ofHours(24);
    static final Duration PENDING_TTL = Duration.ofMinutes(15);

    private final RedisConnections redis;
    private final String prefix;
    private final ObjectMapper json;

    public UploadIdempotency(RedisConnections redis, ObjectMapper json,
                             @KeyPrefix String prefix) {
        this.redis = redis;
        this.json = json;
        this.prefix = prefix;
    }

    /**
     * Runs {@code upload} once per (advertiser, key); a repeat gets the first outcome and its body is discarded
     * unread into any audience. Without a key, simply runs it. Called on a worker thread (the upload streams).
     */
    public UploadReport once(String advertiser, String audienceId, String key, InputStream body,
                             Supplier<UploadReport> upload) {
        if (key == null) {
            return upload.get();
        }
        if (!VALID.matcher(key).matches()) {
            throw ProblemException.badRequest("header '" + HEADER + "' must be 1 to 100 characters of "
                    + "A-Z, a-z, 0-9, '.', '_', ':' or '-'");
        }
        byte[] redisKey = bytes(prefix + "idem:" + advertiser + ":" + key);
        String claimed = redis.withShared(r -> r.set(redisKey, bytes(PENDING),
                SetArgs.Builder.nx().ex(PENDING_TTL.toSeconds()))).await().indefinitely();
        if (!"OK".equals(claimed)) {
            UploadReport first = recorded(redisKey, advertiser + "\n" + audienceId + "\n");
            discard(body);
            return first;
        }
        UploadReport report;
        try {
            report = upload.get();
        } catch (RuntimeException e) {
            // Nothing was counted: the same key may try again. Should Redis fail here too, the claim expires
            // by itself (PENDING_TTL) and the upload's own error is the answer.
            try {
                redis.withShared(r -> r.del(redisKey)).await().indefinitely();
            } catch (RuntimeException releaseFailed) {
                e.addSuppressed(releaseFailed);
            }
            throw e;
        }
        String outcome = advertiser + "\n" + audienceId + "\n" + write(report);
        redis.withShared(r -> r.set(redisKey, bytes(outcome), SetArgs.Builder.ex(OUTCOME_TTL.toSeconds())))
                .await().indefinitely();
        return report;
    }

    /** The first outcome, when it was this advertiser's upload to this audience ({@code owner}: both, a line each). */
    private UploadReport recorded(byte[] redisKey, String owner) {
        Optional<String> stored = Optional.ofNullable(redis.withShared(r -> r.get(redisKey)).await().indefinitely())
                .map(v -> new String(v, StandardCharsets.UTF_8));
        if (stored.isEmpty() || stored.get().equals(PENDING)) {
            // Gone between the two commands (a failed first attempt) counts as still running: the client retries.
            throw new ProblemException(409, "Conflict", "an upload with this " + HEADER
                    + " is still running; send it again later");
        }
        String value = stored.get();
        if (!value.startsWith(owner)) {
            throw new ProblemException(422, "Unprocessable Content", "header '" + HEADER
                    + "' was used for an upload to another audience");
        }
        try {
            return json.readValue(value.substring(owner.length()), UploadReport.class);
        } catch (IOException e) {
            throw new IllegalStateException("an unreadable upload outcome in Redis", e);
        }
    }

    private String write(UploadReport report) {
        try {
            return json.writeValueAsString(report);
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
