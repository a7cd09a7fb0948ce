package be.audiencematch.load;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/**
 * Eligibility at the configured rate while the subscriber feed withdraws and restores TV consent at a tenth of it:
 * answers must stay fast and correct while consents change underneath.
 */
public class MixedWithdrawalSimulation extends Simulation {

    private final LoadSettings settings = new LoadSettings();

    private final HttpProtocolBuilder protocol = http.baseUrl(settings.baseUrl)
            .contentTypeHeader("application/json").acceptHeader("application/json");

    private final ScenarioBuilder eligibility = scenario("eligibility")
            .feed(Stream.generate(() -> Map.<String, Object>of("household", settings.randomHousehold(),
                    "candidates", settings.candidatesJson())).iterator())
            .exec(http("POST /v1/eligibility").post("/v1/eligibility")
                    .header("Authorization", "Bearer " + settings.adserverToken)
                    .body(StringBody("{\"household_id\":\"#{household}\",\"campaign_ids\":#{candidates}}"))
                    .check(status().is(200), jsonPath("$.eligible").exists()));

    private final ScenarioBuilder withdrawals = scenario("consent changes")
            .feed(Stream.generate(() -> Map.<String, Object>of(
                    "subscriber", "sub-" + ThreadLocalRandom.current().nextInt(settings.subscribers),
                    "tv", ThreadLocalRandom.current().nextBoolean())).iterator())
            .exec(http("PATCH /v1/subscribers/{id}/consents").patch("/v1/subscribers/#{subscriber}/consents")
                    .header("Authorization", "Bearer " + settings.feedToken)
                    .body(StringBody("{\"tv\":#{tv}}")).check(status().is(204)));

    {
        setUp(eligibility.injectOpen(constantUsersPerSec(settings.rate).during(settings.durationSeconds)),
                withdrawals.injectOpen(constantUsersPerSec(Math.max(1, settings.rate / 10)).during(settings.durationSeconds)))
                .protocols(protocol)
                .assertions(global().responseTime().percentile(99.0).lt(settings.p99Ms),
                        global().failedRequests().percent().lte((double) settings.maxFailedPercent));
    }
}
