package be.audiencematch.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.UUID;

/**
 * Sends an upload's gzip'd chunks, each with {@code Idempotency-Key: <run>-<chunk>}: a chunk whose answer was lost
 * (connection dropped, 5xx, or 409 while the service still runs the first attempt) is sent again with the same key
 * and the service counts it once. Bounded: after {@code retries} attempts the upload stops. 429 stops at once.
 */
final class ChunkSender {

    private static final long FIRST_WAIT_MILLIS = 500;
    private static final long LONGEST_WAIT_MILLIS = 15_000;

    private final AdvertiserClient client;
    private final String path;
    private final int retries;
    private final UploadProgress progress;
    private final String run = UUID.randomUUID().toString();
    private int retried;
    long received;
    long valid;
    long invalid;
    long plaintextRejected;

    ChunkSender(AdvertiserClient client, String audiencePath, int retries, UploadProgress progress) {
        this.client = client;
        this.path = audiencePath + "/members";
        this.retries = retries;
        this.progress = progress;
    }

    /** Sends one chunk until the service counted it; Refused when it says no (or keeps failing). */
    void send(int chunk, byte[] gzipped) throws IOException, InterruptedException, AdvertiserClient.Refused {
        Map<String, String> headers = Map.of("Content-Type", "text/plain", "Content-Encoding", "gzip",
                "Idempotency-Key", run + "-" + chunk);
        for (int attempt = 0; ; attempt++) {
            AdvertiserClient.Answer answer;
            try {
                answer = client.send("POST", path, HttpRequest.BodyPublishers.ofByteArray(gzipped), headers);
            } catch (IOException e) {
                if (attempt >= retries) {
                    throw new IOException("chunk " + chunk + " could not be sent after " + (attempt + 1)
                            + " attempts: the service cannot be reached", e);
                }
                wait(chunk, attempt, "lost its connection", -1);
                continue;
            }
            if (answer.ok()) {
                JsonNode counts = AdvertiserClient.JSON.readTree(answer.body());
                received += counts.path("received").asLong();
                valid += counts.path("valid").asLong();
                invalid += counts.path("invalid").asLong();
                plaintextRejected += counts.path("plaintext_rejected").asLong();
                return;
            }
            boolean transient_ = answer.status() >= 500 || answer.status() == 409;
            if (!transient_ || attempt >= retries) {
                throw new AdvertiserClient.Refused(answer);
            }
            wait(chunk, attempt, "was answered " + answer.status(), answer.retryAfterSeconds().orElse(-1));
        }
    }

    private void wait(int chunk, int attempt, String why, long retryAfterSeconds) throws InterruptedException {
        retried++;
        progress.retrying(chunk, attempt, why);
        long backOff = Math.min(LONGEST_WAIT_MILLIS, FIRST_WAIT_MILLIS << Math.min(attempt, 10));
        Thread.sleep(retryAfterSeconds > 0 ? Math.min(LONGEST_WAIT_MILLIS, retryAfterSeconds * 1000) : backOff);
    }

    int retried() {
        return retried;
    }
}
