package be.audiencematch.consent;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.TimeoutException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bucket size is part of every key the base uses: a service configured with another size than the one the base
 * was loaded with would find nobody. The first service to use a Redis records its size; any other size keeps the
 * service not ready, with the reason in the log. The check runs once at start too, so a Redis gets its size before
 * the first write even when nothing probes readiness (a service started by hand). The identifier index must have
 * this version's layout too (IndexFormat: a base of an earlier version is converted first, readiness down meanwhile).
 */
@Readiness
@ApplicationScoped
public class BaseLayoutReadiness implements AsyncHealthCheck {

    private static final Logger LOG = Logger.getLogger(BaseLayoutReadiness.class);
    private static final byte[] FIELD = "bucket_bits".getBytes(StandardCharsets.US_ASCII);
    private static final Duration START_CHECK = Duration.ofSeconds(3);

    private final SubscriberStore store;
    private final be.audiencematch.redis.RedisConnections redis;
    private final AtomicBoolean confirmed = new AtomicBoolean();

    public BaseLayoutReadiness(SubscriberStore store, be.audiencematch.redis.RedisConnections redis) {
        this.store = store;
        this.redis = redis;
    }

    void onStart(@Observes StartupEvent started) {
        try {
            call().await().atMost(START_CHECK);
        } catch (TimeoutException e) {
            LOG.warn("the base layout is not checked yet (Redis did not answer in time); readiness will");
        }
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        if (confirmed.get()) {
            return Uni.createFrom().item(HealthCheckResponse.up("base-layout"));
        }
        byte[] mine = Integer.toString(store.buckets().bits()).getBytes(StandardCharsets.US_ASCII);
        return redis.withShared(r -> r.hsetnx(store.layoutKey(), FIELD, mine)
                        .thenCompose(ignored -> r.hget(store.layoutKey(), FIELD)))
                .chain(recorded -> {
                    String theirs = new String(recorded, StandardCharsets.US_ASCII);
                    if (theirs.equals(new String(mine, StandardCharsets.US_ASCII))) {
                        return store.indexCurrent().map(current -> {
                            if (!current) {
                                return HealthCheckResponse.named("base-layout").down()
                                        .withData("identifier_index", "converting").build();
                            }
                            confirmed.set(true);
                            return HealthCheckResponse.up("base-layout");
                        });
                    }
                    LOG.errorf("this Redis holds a base laid out with %s bucket bits, the service is configured "
                            + "with %d (audience-match.layout.bucket-bits): not ready", theirs, store.buckets().bits());
                    return Uni.createFrom().item(
                            HealthCheckResponse.named("base-layout").down().withData("bucket_bits", theirs).build());
                })
                .onFailure().recoverWithItem(HealthCheckResponse.named("base-layout").down().build());
    }
}
