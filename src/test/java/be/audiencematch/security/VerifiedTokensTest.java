package be.audiencematch.security;

import be.audiencematch.cli.LocalKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The verified-token cache saves verifications without ever accepting what verification would refuse. */
class VerifiedTokensTest {

    @TempDir
    static Path dir;
    static LocalKeys keys;
    static DefaultJWTParser verifier;

    /** A clock the test moves by hand. */
    static final class Hand extends Clock {
        Instant now = Instant.now();

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @BeforeAll
    static void keys() throws Exception {
        keys = new LocalKeys(dir.resolve("jwt")).ensure();
        String pem = Files.readString(keys.publicKey()).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
        verifier = new DefaultJWTParser(new JWTAuthContextInfo(key, LocalKeys.ISSUER));
    }

    @Test
    void aRepeatedTokenIsVerifiedOnce() throws Exception {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        VerifiedTokens cache = new VerifiedTokens(verifier, metrics, 100, Duration.ofMinutes(5), new Hand());
        String token = keys.token("adserver", "pickx", Duration.ofMinutes(10));
        var first = cache.parse(token);
        assertSame(first, cache.parse(token));
        assertEquals(1, cache.size());
        assertEquals(1.0, metrics.counter("audience_match_verified_token_reuses_total").count());
        assertEquals("pickx", first.getSubject());
        assertTrue(first.getGroups().contains("adserver"));
    }

    @Test
    void aTamperedCopyOfACachedTokenIsStillRefused() throws Exception {
        VerifiedTokens cache = new VerifiedTokens(verifier, new SimpleMeterRegistry(), 100, Duration.ofMinutes(5), new Hand());
        String token = keys.token("adserver", "pickx", Duration.ofMinutes(10));
        cache.parse(token);
        String[] parts = token.split("\\.");
        String otherClaims = Base64.getUrlEncoder().withoutPadding().encodeToString(
                new String(Base64.getUrlDecoder().decode(parts[1])).replace("adserver", "dpo").getBytes());
        assertThrows(ParseException.class, () -> cache.parse(parts[0] + "." + otherClaims + "." + parts[2]));
        int middle = token.length() - 20;
        char c = token.charAt(middle);
        assertThrows(ParseException.class,
                () -> cache.parse(token.substring(0, middle) + (c == 'A' ? 'B' : 'A') + token.substring(middle + 1)));
        assertEquals(1, cache.size());
    }

    @Test
    void aTokenIsVerifiedAgainOnceItExpiresOrReachesTheMaximumAge() throws Exception {
        Hand clock = new Hand();
        VerifiedTokens cache = new VerifiedTokens(verifier, new SimpleMeterRegistry(), 100, Duration.ofMinutes(5), clock);
        String shortLived = keys.token("adserver", "pickx", Duration.ofSeconds(90));
        var first = cache.parse(shortLived);
        clock.now = clock.now.plusSeconds(89);
        assertSame(first, cache.parse(shortLived));
        clock.now = clock.now.plusSeconds(2);
        assertNotSame(first, cache.parse(shortLived), "past its expiry the token goes back to the verifier");

        String longLived = keys.token("adserver", "pickx", Duration.ofHours(2));
        var verified = cache.parse(longLived);
        clock.now = clock.now.plus(Duration.ofMinutes(5));
        assertNotSame(verified, cache.parse(longLived), "past the maximum age the token is verified again");
    }

    @Test
    void theCacheStaysWithinItsSizeAndCanBeTurnedOff() throws Exception {
        VerifiedTokens bounded = new VerifiedTokens(verifier, new SimpleMeterRegistry(), 3, Duration.ofMinutes(5), new Hand());
        for (int i = 0; i < 10; i++) {
            bounded.parse(keys.token("advertiser", "acme-" + i, Duration.ofMinutes(10)));
            assertTrue(bounded.size() <= 3, "size " + bounded.size());
        }
        VerifiedTokens off = new VerifiedTokens(verifier, new SimpleMeterRegistry(), 0, Duration.ofMinutes(5), new Hand());
        String token = keys.token("adserver", "pickx", Duration.ofMinutes(10));
        assertNotSame(off.parse(token), off.parse(token));
        assertEquals(0, off.size());
    }
}
