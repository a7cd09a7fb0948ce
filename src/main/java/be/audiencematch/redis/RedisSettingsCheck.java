package be.audiencematch.redis;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;


/**
 * The bucketed layout stays compact only while Redis keeps buckets as listpacks; warn at start when it would not
 * (a managed Redis may refuse CONFIG, then we say nothing).
 */
@ApplicationScoped
public class RedisSettingsCheck {

    static final int NEEDED_LISTPACK_ENTRIES = 512;
    private static final Logger LOG = Logger.getLogger(RedisSettingsCheck.class);

    void onStart(@Observes StartupEvent event, RedisConnections redis) {
        redis.shared().thenCompose(c -> c.async().configGet("hash-max-listpack-entries")).whenComplete((cfg, e) -> {
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
}
