package be.audiencematch.kernel;

import be.audiencematch.cli.LocalKeys;
import be.audiencematch.crypto.ExportKeys;
import be.audiencematch.support.Keys;
import be.audiencematch.support.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static be.audiencematch.support.Fixtures.ndjson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged service, as production runs it (prod profile), stopped with SIGTERM while a bulk load streams in:
 * readiness goes down first, the load in flight completes with its 200, the eligibility view's lease is given up, and
 * the process exits (docs/operations.md, "Stopping"). An integration test: Failsafe runs it in {@code ./mvnw verify}
 * once the jar is packaged.
 */
class GracefulShutdownIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    @Test
    void onSigtermReadinessGoesDownFirstARequestInFlightCompletesAndTheLeaseIsGivenUp() throws Exception {
        assertTrue(Files.exists(JAR), "needs the packaged service (./mvnw package; verify runs this after it)");
        Path dir = Files.createTempDirectory("am-shutdown-");
        try (RedisServer redis = new RedisServer().start()) {
            LocalKeys keys = new LocalKeys(dir.resolve("jwt")).ensure();
            ExportKeys.KeyFiles.ensureDevKeys(dir.resolve("pseudonym-keys.json"), dir.resolve("adsdata-public.key"));
            int port = freePort();
            int management = freePort();
            ProcessBuilder service = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", JAR.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("service.log").toFile());
            service.environment().putAll(java.util.Map.of(
                    "AUDIENCE_MATCH_REDIS_URL", redis.url(), "AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT", "true",
                    "QUARKUS_HTTP_PORT", Integer.toString(port), "QUARKUS_MANAGEMENT_PORT", Integer.toString(management),
                    "AUDIENCE_MATCH_JWT_PUBLIC_KEY", keys.publicKey().toString(),
                    "AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE", dir.resolve("pseudonym-keys.json").toString(),
                    "AUDIENCE_MATCH_ADSDATA_PUBLIC_KEY_FILE", dir.resolve("adsdata-public.key").toString()));
            Process process = service.start();
            HttpClient http = HttpClient.newHttpClient();
            URI ready = URI.create("http://127.0.0.1:" + management + "/q/health/ready");
            try {
                long deadline = System.nanoTime() + 90_000_000_000L;
                while (status(http, ready) != 200) {
                    assertTrue(System.nanoTime() < deadline && process.isAlive(), "the service did not become ready");
                }
                RedisClient client = RedisClient.create(redis.url());
                // The packaged service runs with no prefix setting: its keys carry the default one.
                try (StatefulRedisConnection<String, String> r = client.connect()) {
                    while (r.sync().zcard(Keys.DEFAULT_PREFIX + "view:leases") == 0) {
                        assertTrue(System.nanoTime() < deadline, "the view never took its lease");
                    }
                    // A bulk load whose body trickles in over a few seconds: in flight when SIGTERM comes.
                    byte[] body = ndjson(1, 400, i -> true, i -> false, i -> false).getBytes(StandardCharsets.UTF_8);
                    Trickle trickle = new Trickle(body);
                    CompletableFuture<HttpResponse<String>> load = http.sendAsync(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + port + "/v1/subscribers/bulk"))
                            .header("Authorization", "Bearer " + keys.token("subscriber-feed", "feed", Duration.ofMinutes(5)))
                            .header("Content-Type", "application/x-ndjson")
                            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> trickle)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    // In flight: the service took the feed's upload slot (rate limits, docs/architecture.md).
                    String inFlight = Keys.DEFAULT_PREFIX + "inflight:subscriber-feed:*";
                    while (r.sync().keys(inFlight).isEmpty() || r.sync().get(r.sync().keys(inFlight).get(0)).equals("0")) {
                        assertTrue(System.nanoTime() < deadline, "the load never started");
                    }
                    process.destroy(); // SIGTERM
                    int readiness = 200;
                    while (readiness == 200 && process.isAlive()) {
                        readiness = status(http, ready);
                    }
                    assertEquals(503, readiness, "readiness goes down first, while the service still serves");
                    assertTrue(!load.isDone(), "readiness was down before the load in flight finished");

                    HttpResponse<String> answer = load.get(60, TimeUnit.SECONDS);
                    assertEquals(200, answer.statusCode(), answer.body());
                    assertTrue(answer.body().contains("\"accepted\":400"), answer.body());
                    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the process exits");
                    assertEquals(0, r.sync().zcard(Keys.DEFAULT_PREFIX + "view:leases"), "the lease was given up before the exit");
                } finally {
                    client.shutdown();
                }
            } finally {
                process.destroyForcibly().waitFor();
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static int status(HttpClient http, URI uri) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException notListening) {
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A body sent a line at a time, each line after the previous one was handed to the network and ~20 ms. */
    private static final class Trickle extends InputStream {
        private final byte[] body;
        private int at;
        private long nextAt = System.nanoTime();

        Trickle(byte[] body) {
            this.body = body;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (at >= body.length) {
                return -1;
            }
            // Paces the upload (a slow client), not a wait for a condition.
            java.util.concurrent.locks.LockSupport.parkNanos(Math.max(0, nextAt - System.nanoTime()));
            nextAt = System.nanoTime() + 20_000_000L;
            int end = at;
            while (end < body.length && end - at < len && body[end++] != '\n') {
                // one line at most
            }
            int n = end - at;
            System.arraycopy(body, at, b, off, n);
            at = end;
            return n;
        }
    }
}
