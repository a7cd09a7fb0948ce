package be.audiencematch.redis;

import be.audiencematch.export.ExportResource;
import be.audiencematch.support.Keys;
import be.audiencematch.support.RedisServer;
import be.audiencematch.support.TestEnvironment;
import be.audiencematch.support.TlsAclEnvironment;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.matched;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service on a Redis that speaks TLS only, as the ACL user of docs/operations.md (TlsAclEnvironment): the whole
 * flow works, the ACL refuses everything else, and neither plain text nor an unknown CA gets through.
 */
@QuarkusTest
@DisabledIfSystemProperty(named = TestEnvironment.TOPOLOGY, matches = "cluster",
        disabledReason = "runs on a TLS-only standalone Redis with an ACL of its own")
@WithTestResource(TlsAclEnvironment.class)
class RedisTlsAclTest {

    private static final String SERVICE = TlsAclEnvironment.SERVICE_USER;
    private static final String ADMIN = TlsAclEnvironment.ADMIN_USER;

    @Test
    void feedUploadReportEligibilityAndExportRunOverTlsWithinTheAcl() {
        RedisServer redis = TlsAclEnvironment.tlsRedis();
        asUser(ADMIN, TlsAclEnvironment.adminPassword(), c -> c.aclLogReset());
        long keysBefore = asAdmin(RedisCommands::dbsize);

        int from = range(200);
        int start = from % 2 == 0 ? from : from + 1;
        // Reports show counts from 100 up only (the privacy threshold).
        loadSubscribers(start, 180, i -> true, i -> true, i -> (i - start) % 2 == 0);
        String segment = "tls-seg-" + start;
        putSegment(segment, "tv", emails(start, 120));
        String audience = createAudience("tls-adv", "tv");
        upload("tls-adv", audience, emails(start, 150)).then().statusCode(200);
        assertEquals(150, matched("tls-adv", audience));
        assertEquals(120, matched("tls-adv", audience, segment));

        Instant now = Instant.now();
        String campaign = advertiser("tls-adv").contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + audience + "\",\"segments\":[],\"starts_at\":\""
                        + now.minus(Duration.ofHours(1)) + "\",\"ends_at\":\"" + now.plus(Duration.ofDays(1)) + "\"}")
                .post("/v1/campaigns").then().statusCode(201).extract().path("id");
        List<String> eligible = as("adserver", "pickx").contentType(ContentType.JSON)
                .body("{\"household_id\":\"hh-" + (start / 2) + "\",\"campaign_ids\":[\"" + campaign + "\"]}")
                .post("/v1/eligibility").then().statusCode(200).extract().path("eligible");
        assertEquals(List.of(campaign), eligible);
        as("adserver", "pickx").get("/v1/eligibility/hh-" + (start / 2)).then().statusCode(200);

        byte[] export = as("adsdata", "ads-and-data").get("/v1/exports/ads-and-data/segments/" + segment)
                .then().statusCode(200).contentType(ExportResource.EXPORT_MEDIA_TYPE).extract().asByteArray();
        assertTrue(export.length > 0);

        // The data went to the TLS server, and Redis refused the service user nothing on the way.
        assertTrue(asAdmin(RedisCommands::dbsize) > keysBefore, "the service wrote to the TLS Redis");
        // Denied commands named by their command only (an entry's key could tell more than the test should print).
        List<String> denied = asAdmin(c -> c.aclLog().stream().map(entry -> (java.util.Map<?, ?>) entry)
                .map(entry -> entry.get("reason") + " " + (("command".equals(entry.get("reason"))) ? entry.get("object")
                        : entry.get("context"))).toList());
        assertEquals(List.of(), denied, "no command or key denied to the service user");
        assertTrue(redis.url().startsWith("rediss://"));
    }

    @Test
    void theServiceUserMayNotFlushConfigureListOrTouchOtherKeys() {
        String password = TlsAclEnvironment.servicePassword();
        asUser(SERVICE, password, c -> {
            assertEquals("OK", c.set(Keys.key("tls-acl-probe"), "1"), "its own prefix is writable");
            assertDenied(c::flushall);
            assertDenied(() -> c.configGet("requirepass"));
            assertDenied(() -> c.keys("*"));
            assertDenied(() -> c.get("other:secret"));
            assertDenied(() -> c.set("other:secret", "x"));
            assertDenied(() -> c.aclList());
            assertDenied(() -> c.clientList());
        });
        // The same calls succeed for a user without those limits: it is the ACL that refuses them.
        asUser(ADMIN, TlsAclEnvironment.adminPassword(), c -> {
            assertFalse(c.configGet("requirepass").isEmpty());
            assertEquals("OK", c.set("other:secret", "x"));
            assertEquals("x", c.get("other:secret"));
            c.del("other:secret");
        });
        assertDenied(() -> asUser(SERVICE, "not-the-password", RedisCommands::ping));
    }

    @Test
    void plainTextAndAnUnknownCaAreRefusedByTheTlsPort() throws IOException {
        RedisServer redis = TlsAclEnvironment.tlsRedis();
        // Plain text to the TLS port: no answer, the connection is dropped.
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", redis.port()), 2_000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[16];
            int n;
            try {
                n = in.read(reply);
            } catch (IOException dropped) {
                n = -1;
            }
            String answer = n > 0 ? new String(reply, 0, n, StandardCharsets.US_ASCII) : "";
            assertFalse(answer.startsWith("+PONG") || answer.startsWith("-"), "a plain-text answer: " + answer);
        }
        RedisClient plain = RedisClient.create(RedisURI.create(
                redis.url(SERVICE, TlsAclEnvironment.servicePassword()).replace("rediss://", "redis://")));
        plain.setOptions(ClientOptions.builder().socketOptions(SocketOptions.builder()
                .connectTimeout(Duration.ofSeconds(2)).build()).build());
        plain.setDefaultTimeout(Duration.ofSeconds(3));
        try {
            assertThrows(RuntimeException.class, () -> plain.connect().sync().ping());
        } finally {
            plain.shutdown();
        }
        // TLS without the test CA (the JVM's own trust store): the server's certificate is not trusted.
        RedisClient untrusting = RedisClient.create(redis.url(SERVICE, TlsAclEnvironment.servicePassword()));
        try {
            assertThrows(RedisConnectionException.class, untrusting::connect);
        } finally {
            untrusting.shutdown();
        }
    }

    @Test
    void refusedConfigGetIsAWarningNotAFailure() throws IOException {
        Path log = TestEnvironment.logFile();
        Instant deadline = Instant.now().plusSeconds(20);
        while (!Files.readString(log).contains("Redis refused CONFIG GET")) {
            assertTrue(Instant.now().isBefore(deadline), "the start-up check did not say it could not read CONFIG");
            LockSupport.parkNanos(100_000_000L);   // pacing, not synchronisation
        }
        as("adserver", "pickx").get("/v1/eligibility/hh-nobody").then().statusCode(200);
    }

    private static void assertDenied(Runnable call) {
        RuntimeException refused = assertThrows(RuntimeException.class, call::run);
        String message = String.valueOf(refused.getMessage());
        assertTrue(message.contains("NOPERM") || message.contains("WRONGPASS")
                        || refused instanceof RedisConnectionException,
                "refused by the ACL: " + refused.getClass().getSimpleName());
    }

    private static <T> T asAdmin(java.util.function.Function<RedisCommands<String, String>, T> work) {
        Object[] result = new Object[1];
        asUser(ADMIN, TlsAclEnvironment.adminPassword(), c -> result[0] = work.apply(c));
        @SuppressWarnings("unchecked") T value = (T) result[0];
        return value;
    }

    /** A Lettuce connection of the test's own, over TLS with the test CA, as {@code user}. */
    private static void asUser(String user, String password, Consumer<RedisCommands<String, String>> work) {
        RedisServer redis = TlsAclEnvironment.tlsRedis();
        RedisClient client = RedisClient.create(redis.url(user, password));
        client.setOptions(ClientOptions.builder()
                .sslOptions(SslOptions.builder().jdkSslProvider().trustManager(redis.caFile().toFile()).build())
                .build());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            work.accept(c.sync());
        } finally {
            client.shutdown();
        }
    }
}
