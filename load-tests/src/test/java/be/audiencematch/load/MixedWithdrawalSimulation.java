package be.audiencematch.load;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * Eligibility at the configured rate while the subscriber feed withdraws and restores TV consent at a tenth of it:
 * answers must stay fast and correct while consents change underneath.
 */
public class MixedWithdrawalSimulation extends Simulation {

    private final LoadSettings settings = new LoadSettings();

    private final HttpProtocolBuilder protocol = http.baseUrl(settings.baseUrl).shareConnections()
            .contentTypeHeader("application/json").acceptHeader("application/json");

    private static final String WITHDRAWAL = "PATCH /v1/subscribers/{id}/consents";

    private final ScenarioBuilder withdrawals = scenario("consent changes")
            .feed(Stream.generate(() -> Map.<String, Object>of(
                    "subscriber", "sub-" + ThreadLocalRandom.current().nextInt(settings.subscribers),
                    "tv", ThreadLocalRandom.current().nextBoolean())).iterator())
            .exec(http(WITHDRAWAL).patch("/v1/subscribers/#{subscriber}/consents")
                    .header("Authorization", "Bearer " + settings.feedToken)
                    .body(StringBody("{\"tv\":#{tv}}")).check(status().is(204)));

    {
        setUp(settings.afterWarmUp(
                EligibilitySimulation.asking(settings, "warm-up", "warm-up: " + EligibilitySimulation.REQUEST)
                        .injectOpen(settings.warmUpRamp()),
                EligibilitySimulation.asking(settings, "eligibility", EligibilitySimulation.REQUEST)
                        .injectOpen(constantUsersPerSec(settings.rate).during(settings.durationSeconds)),
                withdrawals.injectOpen(constantUsersPerSec(Math.max(1, settings.rate / 10)).during(settings.durationSeconds))))
                .protocols(protocol)
                // The p99 of the measured phase, both request kinds; failures count everywhere.
                .assertions(details(EligibilitySimulation.REQUEST).responseTime().percentile(99.0).lt(settings.p99Ms),
                        details(WITHDRAWAL).responseTime().percentile(99.0).lt(settings.p99Ms),
                        global().failedRequests().percent().lte((double) settings.maxFailedPercent));
    }
}
