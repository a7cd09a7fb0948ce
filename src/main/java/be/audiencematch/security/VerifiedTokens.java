package be.audiencematch.security;

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
import org.eclipse.microprofile.jwt.JsonWebToken;

import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.SecretKey;

/**
 * Remembers bearer tokens that passed full verification, so that a caller who sends the same token thousands of times
 * a second (the Pickx ad server) pays for the RS256 check and jose4j's parsing (about 100 KB of garbage a token) once.
 *
 * <p>Only successes are remembered; a token is looked up by its SHA-256, so neither the token nor anything derived
 * from a guess about it can be learnt from how long a look-up takes. An entry is used until the earlier of the
 * token's own expiry and {@code max-age} after it was verified, after which the token is verified again (so a
 * verification key withdrawn from the key set stops being honoured within {@code max-age}). A size of 0 turns the
 * cache off. Verification against any other context than the configured one is never cached.
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
    private final int maxEntries;
    private final long maxAgeMillis;
    private final Clock clock;
    private final ConcurrentHashMap<Digest, Verified> verified = new ConcurrentHashMap<>();
    /** Counts verifications saved; no token content ever reaches a metric. */
    private final Counter reuses;

    @Inject
    public VerifiedTokens(DefaultJWTParser verifier, MeterRegistry metrics,
                          @ConfigProperty(name = "audience-match.security.token-cache.size", defaultValue = "10000") int maxEntries,
                          @ConfigProperty(name = "audience-match.security.token-cache.max-age", defaultValue = "5m") Duration maxAge) {
        this(verifier, metrics, maxEntries, maxAge, Clock.systemUTC());
    }

    VerifiedTokens(DefaultJWTParser verifier, MeterRegistry metrics, int maxEntries, Duration maxAge, Clock clock) {
        this.verifier = verifier;
        this.maxEntries = maxEntries;
        this.maxAgeMillis = maxAge.toMillis();
        this.clock = clock;
        this.reuses = metrics.counter("audience_match_verified_token_reuses_total");
        metrics.gauge("audience_match_verified_tokens", verified, ConcurrentHashMap::size);
    }

    @Override
    public JsonWebToken parse(String token) throws ParseException {
        if (maxEntries <= 0 || token == null) {
            return verifier.parse(token);
        }
        Digest key = digest(token);
        long now = clock.millis();
        Verified known = verified.get(key);
        if (known != null && now < known.usableUntilMillis()) {
            reuses.increment();
            return known.token();
        }
        if (known != null) {
            verified.remove(key, known);
        }
        JsonWebToken fresh = verifier.parse(token);
        long expiresMillis = fresh.getExpirationTime() > 0 ? fresh.getExpirationTime() * 1000 : now;
        long until = Math.min(expiresMillis, now + maxAgeMillis);
        if (until > now) {
            if (verified.size() >= maxEntries) {
                // Bounded without bookkeeping: legitimate callers hold a handful of tokens, so a full table means
                // churn, and starting again costs each caller one verification.
                verified.clear();
            }
            verified.put(key, new Verified(fresh, until));
        }
        return fresh;
    }

    /** How many verified tokens are remembered now (for tests and metrics; no token content). */
    public int size() {
        return verified.size();
    }

    private static Digest digest(String token) {
        MessageDigest sha = SHA256.get();
        ByteBuffer d = ByteBuffer.wrap(sha.digest(token.getBytes(StandardCharsets.UTF_8)));
        return new Digest(d.getLong(), d.getLong(), d.getLong(), d.getLong());
    }

    @Override
    public JsonWebToken parse(String token, JWTAuthContextInfo context) throws ParseException {
        return verifier.parse(token, context);
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
