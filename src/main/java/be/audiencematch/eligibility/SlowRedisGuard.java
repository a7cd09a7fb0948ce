package be.audiencematch.eligibility;

import io.smallrye.faulttolerance.api.CircuitBreakerName;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Fallback;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Supplier;

/**
 * Eligibility that needs Redis (the script, or a household's member list for the view), bounded: the ad server asks
 * about every ad slot and must get an answer within its slot, so a slow Redis yields "no campaign eligible" (fail
 * closed: nobody is shown an ad on a consent not confirmed) after the timeout, and once most recent questions timed
 * out the circuit opens and answers so at once, without queueing more work behind a stalled Redis, until a trial
 * question gets through (docs/architecture.md, "Fail closed"). A Redis that refuses connections is not slow: that
 * failure passes through as 503 with Retry-After, like every other call.
 * <p>
 * SmallRye Fault Tolerance treats a method returning {@link Uni} as non-blocking: the timeout is a timer, no thread
 * waits. Its settings can be changed per deployment with its own configuration keys, e.g.
 * {@code quarkus.fault-tolerance."be.audiencematch.eligibility.SlowRedisGuard/eligible".timeout.value} (docs/operations.md,
 * "Slow Redis").
 */
@ApplicationScoped
public class SlowRedisGuard {

    /** Answers {@code fromRedis}, or no campaign when Redis does not answer in time or the circuit is open. */
    @Timeout(value = 200, unit = ChronoUnit.MILLIS)
    @CircuitBreaker(requestVolumeThreshold = 20, failureRatio = 0.5, delay = 2, delayUnit = ChronoUnit.SECONDS,
            successThreshold = 2, failOn = TimeoutException.class)
    @CircuitBreakerName("eligibility-redis")
    @Fallback(fallbackMethod = "noneEligible", applyOn = {TimeoutException.class, CircuitBreakerOpenException.class})
    public Uni<List<String>> eligible(Supplier<Uni<List<String>>> fromRedis) {
        return fromRedis.get();
    }

    Uni<List<String>> noneEligible(Supplier<Uni<List<String>>> fromRedis) {
        return Uni.createFrom().item(List.of());
    }
}
