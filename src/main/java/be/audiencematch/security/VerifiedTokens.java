package be.audiencematch.security;

import be.audiencematch.kernel.AudienceMatchConfig;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.Claims;
import org.eclipse.microprofile.jwt.JsonWebToken;
import jakarta.json.JsonNumber;

import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKey;

/**
 * Remembers bearer tokens that passed full verification, so that a caller who sends the same token thousands of times
 * a second (the Pickx ad server) pays for the RS256 check and jose4j's parsing (about 100 KB of garbage a token) once.
 *
 * <p>Only successes are remembered; a token is looked up by its SHA-256, so neither the token nor anything derived
 * from a guess about it can be learnt from how long a look-up takes. An entry is used until the earliest of the
 * token's own expiry, the end of its maximum age and {@code max-age} after it was verified, after which the token is
 * verified again (so a verification key withdrawn from the key set stops being honoured within {@code max-age}). A
 * full cache evicts one entry at a time (Caffeine's size-bounded policy keeps the tokens in use), so a burst of
 * strangers' tokens does not cost every regular caller a verification. A size of 0 turns the cache off.
 * Verification against any other context than the configured one is never cached.
 *
 * <p>Besides SmallRye's checks (signature, issuer, audience, expiry, {@code nbf}), every token must carry {@code iat}
 * and be no older than {@code audience-match.security.token-max-age}: a leaked long-lived token stops working
 * (docs/architecture.md, "Tokens").
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class VerifiedTokens implements JWTParser {

    /** 256 bits of the token's digest: equality of keys is equality of tokens, short of breaking SHA-256. */
    private record Digest(long a, long b, long c, long d) {
    }

    private record Verified(JsonWebToken token, long usableUntilMillis) {
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private final DefaultJWTParser verifier;
    private final long maxAgeMillis;
    private final long tokenMaxAgeSeconds;
    private final long skewSeconds;
    private final Clock clock;
    /** Null when the cache is off. */
    private final Cache<Digest, Verified> verified;
    /** Counts verifications saved; no token content ever reaches a metric. */
    private final Counter reuses;

    @Inject
    public VerifiedTokens(DefaultJWTParser verifier, MeterRegistry metrics,
                          AudienceMatchConfig.Security settings,
                          @ConfigProperty(name = "mp.jwt.verify.clock.skew", defaultValue = "60") int skewSeconds) {
        this(verifier, metrics, settings.tokenCache().size(), settings.tokenCache().maxAge(), settings.tokenMaxAge(),
                Duration.ofSeconds(skewSeconds), Clock.systemUTC());
    }

    VerifiedTokens(DefaultJWTParser verifier, MeterRegistry metrics, int maxEntries, Duration maxAge,
                   Duration tokenMaxAge, Duration skew, Clock clock) {
        this.verifier = verifier;
        this.maxAgeMillis = maxAge.toMillis();
        this.tokenMaxAgeSeconds = tokenMaxAge.toSeconds();
        this.skewSeconds = skew.toSeconds();
        this.clock = clock;
        this.reuses = metrics.counter("audience_match_verified_token_reuses_total");
        if (maxEntries > 0) {
            this.verified = Caffeine.newBuilder()
                    .maximumSize(maxEntries)
                    .expireAfter(new UntilUnusable(clock))
                    .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                    // Evictions on the calling thread: a few map operations, and no pool thread per eviction.
                    .executor(Runnable::run)
                    .build();
            metrics.gauge("audience_match_verified_tokens", verified, Cache::estimatedSize);
        } else {
            this.verified = null;
            metrics.gauge("audience_match_verified_tokens", 0);
        }
    }

    /** Each entry lives until the moment it stops being usable, fixed when it is verified; a read never extends it. */
    private record UntilUnusable(Clock clock) implements Expiry<Digest, Verified> {
        @Override
        public long expireAfterCreate(Digest key, Verified value, long currentTime) {
            return TimeUnit.MILLISECONDS.toNanos(Math.max(0, value.usableUntilMillis() - clock.millis()));
        }

        @Override
        public long expireAfterUpdate(Digest key, Verified value, long currentTime, long currentDuration) {
            return expireAfterCreate(key, value, currentTime);
        }

        @Override
        public long expireAfterRead(Digest key, Verified value, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }

    @Override
    public JsonWebToken parse(String token) throws ParseException {
        if (verified == null || token == null) {
            return checkedAge(verifier.parse(token), clock.millis());
        }
        Digest key = digest(token);
        long now = clock.millis();
        Verified known = verified.getIfPresent(key);
        if (known != null && now < known.usableUntilMillis()) {
            reuses.increment();
            return known.token();
        }
        JsonWebToken fresh = checkedAge(verifier.parse(token), now);
        long expiresMillis = fresh.getExpirationTime() > 0 ? fresh.getExpirationTime() * 1000 : now;
        long tooOldMillis = (issuedAt(fresh) + tokenMaxAgeSeconds + skewSeconds) * 1000;
        long until = Math.min(Math.min(expiresMillis, tooOldMillis), now + maxAgeMillis);
        if (until > now) {
            verified.put(key, new Verified(fresh, until));
        }
        return fresh;
    }

    /**
     * Refuses a token without {@code iat}, issued in the future or older than the maximum age (both beyond the
     * clock skew). SmallRye's own {@code mp.jwt.verify.token.age} reads the system clock and ignores the skew.
     */
    private JsonWebToken checkedAge(JsonWebToken token, long nowMillis) throws ParseException {
        long issued = issuedAt(token);
        long now = nowMillis / 1000;
        if (issued <= 0) {
            throw new ParseException("the token has no issue time (iat)");
        }
        if (issued > now + skewSeconds) {
            throw new ParseException("the token is issued in the future");
        }
        if (now - issued > tokenMaxAgeSeconds + skewSeconds) {
            throw new ParseException("the token is older than the maximum token age");
        }
        return token;
    }

    private static long issuedAt(JsonWebToken token) {
        Object iat = token.getClaim(Claims.iat.name());
        if (iat instanceof Number n) {
            return n.longValue();
        }
        if (iat instanceof JsonNumber n) {
            return n.longValue();
        }
        return 0;
    }

    /** How many verified tokens are remembered now (for tests and metrics; no token content). */
    public long size() {
        if (verified == null) {
            return 0;
        }
        verified.cleanUp();
        return verified.estimatedSize();
    }

    private static Digest digest(String token) {
        MessageDigest sha = SHA256.get();
        ByteBuffer d = ByteBuffer.wrap(sha.digest(token.getBytes(StandardCharsets.UTF_8)));
        return new Digest(d.getLong(), d.getLong(), d.getLong(), d.getLong());
    }

    @Override
    public JsonWebToken parse(String token, JWTAuthContextInfo context) throws ParseException {
        return checkedAge(verifier.parse(token, context), clock.millis());
    }

    @Override
    public JsonWebToken verify(String token, PublicKey key) throws ParseException {
        return verifier.verify(token, key);
    }

    @Override
    public JsonWebToken verify(String token, SecretKey key) throws ParseException {
        return verifier.verify(token, key);
    }

    @Override
    public JsonWebToken verify(String token, String secret) throws ParseException {
        return verifier.verify(token, secret);
    }

    @Override
    public JsonWebToken decrypt(String token, PrivateKey key) throws ParseException {
        return verifier.decrypt(token, key);
    }

    @Override
    public JsonWebToken decrypt(String token, SecretKey key) throws ParseException {
        return verifier.decrypt(token, key);
    }

    @Override
    public JsonWebToken decrypt(String token, String secret) throws ParseException {
        return verifier.decrypt(token, secret);
    }

    @Override
    public JsonWebToken parseOnly(String token) throws ParseException {
        return verifier.parseOnly(token);
    }
}
