package be.audiencematch.load;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

/** Advertisers create an audience, upload a hashed list of 2,000 rows (half known) and read the report. */
public class AudienceUploadSimulation extends Simulation {

    private static final int ROWS = 2_000;
    private final LoadSettings settings = new LoadSettings();

    private final HttpProtocolBuilder protocol = http.baseUrl(settings.baseUrl)
            .header("Authorization", "Bearer " + settings.advertiserToken).acceptHeader("application/json");

    /** Synthetic rows: the seeded base's e-mail digests for even rows, strangers for odd ones. */
    private byte[] rows() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            StringBuilder body = new StringBuilder(ROWS * 65);
            int offset = ThreadLocalRandom.current().nextInt(Math.max(1, settings.subscribers - ROWS));
            for (int i = 0; i < ROWS; i++) {
                String email = i % 2 == 0 ? "user" + (offset + i) + "@example.be" : "stranger" + offset + i + "@example.org";
                body.append(HexFormat.of().formatHex(sha.digest(email.getBytes(StandardCharsets.UTF_8)))).append('\n');
            }
            return body.toString().getBytes(StandardCharsets.US_ASCII);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private final ScenarioBuilder upload = scenario("audience upload and report")
            .exec(http("POST /v1/audiences").post("/v1/audiences").header("Content-Type", "application/json")
                    .body(StringBody("{\"name\":\"load test\",\"identifier_type\":\"email_sha256\",\"channel\":\"tv\",\"ttl_days\":1}"))
                    .check(status().is(201), jsonPath("$.id").saveAs("audience")))
            .exec(http("POST /v1/audiences/{id}/members").post("/v1/audiences/#{audience}/members")
                    .header("Content-Type", "text/plain").body(ByteArrayBody(session -> rows()))
                    .check(status().is(200), jsonPath("$.valid").is(String.valueOf(ROWS))))
            .exec(http("GET /v1/audiences/{id}").get("/v1/audiences/#{audience}")
                    .check(status().is(200), jsonPath("$.received").is(String.valueOf(ROWS))));

    {
        setUp(upload.injectOpen(constantUsersPerSec(settings.rate).during(settings.durationSeconds)))
                .protocols(protocol)
                .assertions(global().responseTime().percentile(99.0).lt(settings.p99Ms),
                        global().failedRequests().percent().lte((double) settings.maxFailedPercent));
    }
}
