package be.audiencematch.redis;

import be.audiencematch.support.TlsAclEnvironment;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start-up rule for the Redis transport: plain text only when allowed, TLS with a readable CA. */
class RedisTransportTest {

    @Test
    void aPlainUrlIsRefusedUnlessPlainTextIsAllowed() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> new RedisTransport("redis://svc:s3cret-pass@redis.internal:6379", false, Optional.empty()));
        assertTrue(refused.getMessage().contains("AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT=true"), refused.getMessage());
        assertFalse(refused.getMessage().contains("s3cret-pass"), "the URL's password is never shown");
        assertFalse(refused.getMessage().contains("redis.internal"));

        assertFalse(assertDoesNotThrow(() -> new RedisTransport("redis://redis.internal:6379", true,
                Optional.empty())).tls());
        assertTrue(assertDoesNotThrow(() -> new RedisTransport("rediss://svc:pw@redis.internal:6380", false,
                Optional.empty())).tls());
        // A Unix socket does not leave the host.
        assertDoesNotThrow(() -> new RedisTransport("redis-socket:///run/redis/redis.sock", false, Optional.empty()));
    }

    @Test
    void aCaFileThatCannotBeReadStopsTheStart() throws IOException {
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> new RedisTransport(
                "rediss://redis.internal:6380", false, Optional.of("/no/such/ca.pem")));
        assertTrue(refused.getMessage().contains("AUDIENCE_MATCH_REDIS_CA_FILE"), refused.getMessage());
        assertDoesNotThrow(() -> new RedisTransport("rediss://redis.internal:6380", false, Optional.of("")));
        assertThrows(IllegalStateException.class, () -> new RedisTransport("not a url", true, Optional.empty()));
    }

    @Test
    void theAclLineOfTheOperationsGuideIsTheOneTheTlsTestRunsWith() throws IOException {
        String guide = Files.readString(Path.of("docs/operations.md"));
        assertTrue(guide.contains(TlsAclEnvironment.serviceAclLine()),
                "docs/operations.md quotes src/main/resources/redis/acl-user.txt word for word");
    }
}
