package be.audiencematch.redis;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.time.Duration;

/** Ready only while Redis answers: without it no request can be served safely (consent is unknown). */
@Readiness
@ApplicationScoped
public class RedisReadiness implements AsyncHealthCheck {

    private final RedisConnections redis;

    public RedisReadiness(RedisConnections redis) {
        this.redis = redis;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return redis.withShared(r -> r.ping())
                .ifNoItem().after(Duration.ofSeconds(2)).fail()
                .map(pong -> HealthCheckResponse.up("redis"))
                .onFailure().recoverWithItem(failure -> HealthCheckResponse.named("redis").down()
                        .withData("reason", failure.getClass().getSimpleName()).build());
    }
}
