package be.audiencematch.redis;

import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.RedisUrls;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How the service reaches Redis: over TLS ({@code rediss://}, checked against the CA of
 * {@code AUDIENCE_MATCH_REDIS_CA_FILE} when given, else the JVM's trust store), or in plain text where that is allowed.
 * Production refuses a plain {@code redis://} URL unless {@code AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT=true}: consents
 * and the ACL password would cross the network readable (docs/operations.md, "Redis: TLS and ACL").
 * Messages never show the URL: it may carry the password.
 */
@Singleton
public class RedisTransport {

    static final String ALLOW_PLAINTEXT_VARIABLE = "AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT";
    static final String CA_FILE_VARIABLE = "AUDIENCE_MATCH_REDIS_CA_FILE";

    private final boolean tls;
    private final Optional<Path> caFile;

    @Inject
    public RedisTransport(AudienceMatchConfig.Redis settings) {
        this(settings.url(), settings.allowPlaintext(), settings.caFile());
    }

    RedisTransport(String url, boolean allowPlaintext, Optional<String> caFile) {
        RedisURI uri;
        try {
            // The first of a cluster's seeds (a comma-separated list) carries the scheme for all of them.
            uri = RedisUrls.seeds(url, Duration.ofSeconds(5)).get(0);
        } catch (RuntimeException e) {
            throw new IllegalStateException("AUDIENCE_MATCH_REDIS_URL is not a Redis URL (redis:// or rediss://)");
        }
        this.tls = uri.isSsl();
        // A Unix socket never leaves the host; only a network connection needs TLS.
        boolean network = uri.getSocket() == null;
        if (network && !tls && !allowPlaintext) {
            throw new IllegalStateException("AUDIENCE_MATCH_REDIS_URL is plain redis://: use rediss:// (TLS) in "
                    + "production, or set " + ALLOW_PLAINTEXT_VARIABLE + "=true to allow plain text "
                    + "(docs/operations.md)");
        }
        this.caFile = caFile.filter(f -> !f.isBlank()).map(Path::of);
        if (this.caFile.isPresent() && !Files.isReadable(this.caFile.get())) {
            throw new IllegalStateException(CA_FILE_VARIABLE + " names a file that cannot be read");
        }
    }

    /** Made at start, so that a refused configuration stops the start instead of the first request. */
    void onStart(@Observes StartupEvent event) {
        // constructing the bean is the check
    }

    public boolean tls() {
        return tls;
    }

    /** The TLS settings of every connection (only used by connections to a {@code rediss://} URL). */
    SslOptions sslOptions() {
        SslOptions.Builder builder = SslOptions.builder().jdkSslProvider();
        caFile.map(Path::toFile).map(File::getAbsoluteFile).ifPresent(builder::trustManager);
        return builder.build();
    }
}
