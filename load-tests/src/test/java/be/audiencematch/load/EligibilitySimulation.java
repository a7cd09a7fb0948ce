package be.audiencematch.load;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.util.Map;
import java.util.stream.Stream;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/** The hot path: the Pickx ad server asks eligibility for random households at a constant arrival rate. */
public class EligibilitySimulation extends Simulation {

    private final LoadSettings settings = new LoadSettings();

    // The ad server keeps a pool of open connections, as any server-to-server client does: one per request would
    // measure TCP handshakes rather than eligibility.
    private final HttpProtocolBuilder protocol = http.baseUrl(settings.baseUrl).shareConnections()
            .contentTypeHeader("application/json").acceptHeader("application/json");

    static final String REQUEST = "POST /v1/eligibility";

    /** Random households of the seeded base (eligible and not), ten candidate campaigns each. */
    static ScenarioBuilder asking(LoadSettings settings, String scenario, String request) {
        return scenario(scenario)
                .feed(Stream.generate(() -> Map.<String, Object>of("household", settings.randomHousehold(),
                        "candidates", settings.candidatesJson())).iterator())
                .exec(http(request).post("/v1/eligibility")
                        .header("Authorization", "Bearer " + settings.adserverToken)
                        .body(StringBody("{\"household_id\":\"#{household}\",\"campaign_ids\":#{candidates}}"))
                        .check(status().is(200), jsonPath("$.eligible").exists()));
    }

    {
        setUp(settings.afterWarmUp(
                asking(settings, "warm-up", "warm-up: " + REQUEST).injectOpen(settings.warmUpRamp()),
                asking(settings, "eligibility", REQUEST)
                        .injectOpen(constantUsersPerSec(settings.rate).during(settings.durationSeconds))))
                .protocols(protocol)
                // Failures count everywhere, the warm-up included; the p99 is the measured phase's.
                .assertions(details(REQUEST).responseTime().percentile(99.0).lt(settings.p99Ms),
                        global().failedRequests().percent().lte((double) settings.maxFailedPercent));
    }
}
