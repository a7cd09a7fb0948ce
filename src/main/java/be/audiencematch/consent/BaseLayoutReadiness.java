package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
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
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bucket size and the shard count are part of every key the base uses: a service configured with another size
 * than the one the base was loaded with would find nobody, and one reading another shard count would find a part of
 * it. The first service to use a Redis records both (layout_record.lua); any other size or count keeps the service
 * not ready, with the reason in the log. The check runs once at start too, so a Redis gets its size before
 * the first write even when nothing probes readiness (a service started by hand). The identifier index must have
 * this version's layout too (IndexFormat: a base of an earlier version is converted first, readiness down meanwhile).
 */
@Readiness
@ApplicationScoped
public class BaseLayoutReadiness implements AsyncHealthCheck {

    private static final Logger LOG = Logger.getLogger(BaseLayoutReadiness.class);
    private static final RedisScript RECORD = RedisScript.load("layout_record");
    private static final Duration START_CHECK = Duration.ofSeconds(3);

    private final SubscriberStore store;
    private final RedisConnections redis;
    private final int shards;
    private final AtomicBoolean confirmed = new AtomicBoolean();

    public BaseLayoutReadiness(SubscriberStore store, RedisConnections redis, KeySpace keys) {
        this.store = store;
        this.redis = redis;
        this.shards = keys.shards();
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
        String bits = Integer.toString(store.buckets().bits());
        return redis.withShared(r -> RECORD.<List<byte[]>>run(r, ScriptOutputType.MULTI,
                        new byte[][] {store.layoutKey()}, ascii(bits), ascii(Integer.toString(shards))))
                .chain(recorded -> {
                    String theirBits = new String(recorded.get(0), StandardCharsets.US_ASCII);
                    String theirShards = new String(recorded.get(1), StandardCharsets.US_ASCII);
                    if (!theirBits.equals(bits)) {
                        LOG.errorf("this Redis holds a base laid out with %s bucket bits, the service is configured "
                                + "with %s (audience-match.layout.bucket-bits): not ready", theirBits, bits);
                        return down("bucket_bits", theirBits);
                    }
                    if (!theirShards.equals(Integer.toString(shards))) {
                        LOG.errorf("this Redis holds a base laid out in %s shards, the service is configured with "
                                + "%d (AUDIENCE_MATCH_SHARDS): not ready. Set AUDIENCE_MATCH_SHARDS=%s to serve it as "
                                + "it is; to move it to %d shards, load the subscriber feed again into an empty Redis "
                                + "(or under another key prefix, AUDIENCE_MATCH_REDIS_KEY_PREFIX) with the new count, "
                                + "then the segments and audiences, and switch over (docs/scaling.md, \"The sharded "
                                + "layout, in detail\")", theirShards, shards, theirShards, shards);
                        return down("shards", theirShards);
                    }
                    return store.indexCurrent().map(current -> {
                        if (!current) {
                            return HealthCheckResponse.named("base-layout").down()
                                    .withData("identifier_index", "converting").build();
                        }
                        confirmed.set(true);
                        return HealthCheckResponse.up("base-layout");
                    });
                })
                .onFailure().recoverWithItem(HealthCheckResponse.named("base-layout").down().build());
    }

    private static Uni<HealthCheckResponse> down(String field, String recorded) {
        return Uni.createFrom().item(HealthCheckResponse.named("base-layout").down().withData(field, recorded).build());
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
