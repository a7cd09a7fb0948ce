package be.audiencematch.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletionException;


/**
 * The bucketed layout stays compact only while Redis keeps buckets as listpacks; warn at start when it would not
 * (a managed Redis, or the service's ACL user, may refuse CONFIG: then we say that it could not be checked, and go
 * on). Bulk loads need Redis 7.0 or later (BITCOUNT by bit position): warn when it is older.
 */
@ApplicationScoped
public class RedisSettingsCheck {

    static final int NEEDED_LISTPACK_ENTRIES = 512;
    private static final Logger LOG = Logger.getLogger(RedisSettingsCheck.class);

    static final int NEEDED_MAJOR_VERSION = 7;

    void onStart(@Observes StartupEvent event, RedisConnections redis) {
        redis.shared().thenCompose(c -> c.async().info("server")).whenComplete((info, e) -> {
            if (e != null || info == null) {
                return;
            }
            String version = majorVersionOf(info);
            if (version != null && Integer.parseInt(version) < NEEDED_MAJOR_VERSION) {
                LOG.warnf("Redis %s is older than %d.0: bulk loads will fail (docs/architecture.md)", version,
                        NEEDED_MAJOR_VERSION);
            }
        });
        redis.shared().thenCompose(c -> c.async().configGet("hash-max-listpack-entries")).whenComplete((cfg, e) -> {
            if (e instanceof CompletionException c && c.getCause() != null) {
                e = c.getCause();
            }
            if (e instanceof RedisCommandExecutionException) {
                // The ACL of docs/operations.md denies CONFIG (it would show every setting): check it by hand.
                LOG.warnf("Redis refused CONFIG GET; make sure hash-max-listpack-entries is at least %d "
                        + "(docs/operations.md)", NEEDED_LISTPACK_ENTRIES);
                return;
            }
            if (e != null || cfg == null) {
                return;
            }
            cfg.values().stream().findFirst().ifPresent(v -> {
                if (Long.parseLong(v) < NEEDED_LISTPACK_ENTRIES) {
                    LOG.warnf("Redis hash-max-listpack-entries is %s; set it to at least %d or memory per "
                            + "subscriber grows about threefold (docs/architecture.md)", v, NEEDED_LISTPACK_ENTRIES);
                }
            });
        });
    }

    /** The major version in an INFO server answer ("redis_version:7.0.15"), or null. */
    static String majorVersionOf(String info) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^redis_version:(\\d+)\\.").matcher(info);
        return m.find() ? m.group(1) : null;
    }
}
