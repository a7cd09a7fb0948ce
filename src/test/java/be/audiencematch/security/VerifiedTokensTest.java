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
import java.util.Map;

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

    static final Duration DAY = Duration.ofHours(24);
    static final Duration SKEW = Duration.ofSeconds(30);

    static VerifiedTokens cache(int size, Clock clock) {
        return new VerifiedTokens(verifier, new SimpleMeterRegistry(), size, Duration.ofMinutes(5), DAY, SKEW, clock);
    }

    /** A token for the adserver role whose iat is {@code issuedAgo} in the past (absent when null). */
    static String issued(Duration issuedAgo) throws Exception {
        return issued(issuedAgo, Instant.now());
    }

    /** The same, counted from {@code at} (a hand clock's time, so that no second ticks between the two). */
    static String issued(Duration issuedAgo, Instant at) throws Exception {
        Map<String, Object> claims = LocalKeys.claims("adserver", "pickx", Duration.ofHours(48), LocalKeys.AUDIENCE);
        long now = at.getEpochSecond();
        if (issuedAgo == null) {
            claims.remove("iat");
        } else {
            claims.put("iat", now - issuedAgo.toSeconds());
        }
        claims.put("exp", now + 3600);
        return keys.sign(claims);
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
        VerifiedTokens cache = new VerifiedTokens(verifier, metrics, 100, Duration.ofMinutes(5), DAY, SKEW, new Hand());
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
        VerifiedTokens cache = cache(100, new Hand());
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
        VerifiedTokens cache = cache(100, clock);
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
        VerifiedTokens bounded = cache(3, new Hand());
        for (int i = 0; i < 10; i++) {
            bounded.parse(keys.token("advertiser", "acme-" + i, Duration.ofMinutes(10)));
            assertTrue(bounded.size() <= 3, "size " + bounded.size());
        }
        VerifiedTokens off = cache(0, new Hand());
        String token = keys.token("adserver", "pickx", Duration.ofMinutes(10));
        assertNotSame(off.parse(token), off.parse(token));
        assertEquals(0, off.size());
    }

    /**
     * A full cache makes room one entry at a time: the token a caller keeps using stays verified while strangers'
     * tokens come and go (a cache that emptied itself when full would verify it again).
     */
    @Test
    void aFullCacheEvictsOneEntryAtATimeAndKeepsTheTokensInUse() throws Exception {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        VerifiedTokens bounded = new VerifiedTokens(verifier, metrics, 4, Duration.ofMinutes(5), DAY, SKEW, new Hand());
        String regular = keys.token("adserver", "pickx", Duration.ofMinutes(10));
        var first = bounded.parse(regular);
        for (int i = 0; i < 3; i++) {
            assertSame(first, bounded.parse(regular));
        }
        for (int i = 0; i < 20; i++) {
            bounded.parse(keys.token("advertiser", "stranger-" + i, Duration.ofMinutes(10)));
            assertSame(first, bounded.parse(regular), "the regular caller's token was dropped after stranger " + i);
            long size = bounded.size();
            assertTrue(size <= 4, "size " + size);
            assertTrue(size >= 2, "the cache emptied itself: size " + size);
        }
    }

    @Test
    void aTokenWithoutIssueTimeOrTooOldOrFromTheFutureIsRefused() throws Exception {
        VerifiedTokens cache = cache(100, new Hand());
        assertThrows(ParseException.class, () -> cache.parse(issued(null)), "no iat");
        assertThrows(ParseException.class, () -> cache.parse(issued(DAY.plusMinutes(5))), "older than the maximum age");
        assertThrows(ParseException.class, () -> cache.parse(issued(Duration.ofMinutes(-10))), "issued in the future");
        assertEquals(0, cache.size());
        cache.parse(issued(DAY.minusMinutes(5)));
        cache.parse(issued(Duration.ofSeconds(-10)));
        VerifiedTokens off = cache(0, new Hand());
        assertThrows(ParseException.class, () -> off.parse(issued(DAY.plusMinutes(5))), "the same with the cache off");
    }

    @Test
    void aCachedTokenIsVerifiedAgainWhenItReachesTheMaximumTokenAge() throws Exception {
        Hand clock = new Hand();
        VerifiedTokens cache = cache(100, clock);
        String old = issued(DAY.minusSeconds(60), clock.now);
        cache.parse(old);
        clock.now = clock.now.plusSeconds(60);
        assertSame(cache.parse(old), cache.parse(old), "still young enough, within the skew");
        clock.now = clock.now.plusSeconds(31);
        assertThrows(ParseException.class, () -> cache.parse(old), "past its maximum age the cached entry is not used");
    }
}
