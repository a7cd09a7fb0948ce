package be.audiencematch.load;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.util.Map;
import java.util.stream.Stream;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/** The hot path: the Pickx ad server asks eligibility for random households at a constant arrival rate. */
public class EligibilitySimulation extends Simulation {

    private final LoadSettings settings = new LoadSettings();

    private final HttpProtocolBuilder protocol = http.baseUrl(settings.baseUrl)
            .header("Authorization", "Bearer " + settings.adserverToken)
            .contentTypeHeader("application/json").acceptHeader("application/json");

    private final ScenarioBuilder eligibility = scenario("eligibility")
            .feed(Stream.generate(() -> Map.<String, Object>of("household", settings.randomHousehold(),
                    "candidates", settings.candidatesJson())).iterator())
            .exec(http("POST /v1/eligibility").post("/v1/eligibility")
                    .body(StringBody("{\"household_id\":\"#{household}\",\"campaign_ids\":#{candidates}}"))
                    .check(status().is(200), jsonPath("$.eligible").exists()));

    {
        setUp(eligibility.injectOpen(constantUsersPerSec(settings.rate).during(settings.durationSeconds)))
                .protocols(protocol)
                .assertions(global().responseTime().percentile(99.0).lt(settings.p99Ms),
                        global().failedRequests().percent().lte((double) settings.maxFailedPercent));
    }
}
