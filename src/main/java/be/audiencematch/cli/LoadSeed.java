package be.audiencematch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Seeds a running service for the load tests and the eligibility benchmark: a synthetic base, a TV segment, an
 * advertiser audience of 60 % of the base (or {@code --audience-percent}), and active campaigns (every other one narrowed to the segment). Writes
 * the campaign ids, comma-separated, to {@code --out}.
 */
final class LoadSeed {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LoadSeed() {
    }

    static int run(List<String> args) throws Exception {
        String baseUrl = Cli.option(args, "--base-url", "http://localhost:8080");
        int subscribers = Integer.parseInt(Cli.option(args, "--subscribers", "100000"));
        int campaigns = Integer.parseInt(Cli.option(args, "--campaigns", "50"));
        int audiencePercent = Integer.parseInt(Cli.option(args, "--audience-percent", "60"));
        if (audiencePercent < 1 || audiencePercent > 100) {
            throw new IllegalArgumentException("--audience-percent must be 1 to 100");
        }
        Path out = Path.of(Cli.option(args, "--out", "campaigns.txt"));
        LocalKeys keys = new LocalKeys(Cli.keysDir()).ensure();
        String feed = keys.token("subscriber-feed", "load-feed", Duration.ofHours(2));
        String advertiser = keys.token("advertiser", "load-advertiser", Duration.ofHours(2));
        HttpApi api = new HttpApi(baseUrl);

        System.err.printf("[seed] %d subscribers%n", subscribers);
        api.send("POST", "/v1/subscribers/bulk", feed, "application/x-ndjson",
                () -> SyntheticBase.lines(subscribers, SyntheticBase::ndjsonLine));
        api.send("PUT", "/v1/segments/load-fans?channel=tv", feed, "text/plain", () -> SyntheticBase.lines(subscribers,
                i -> SyntheticBase.inSegment(20, i) ? SyntheticBase.emailHash(i) + "\n" : ""));
        String audience = JSON.readTree(api.json("POST", "/v1/audiences", advertiser,
                "{\"name\":\"load audience\",\"identifier_type\":\"email_sha256\",\"channel\":\"tv\"}")).get("id").asText();
        // Every (100 / percent)-th subscriber: spread over the whole base, as an advertiser's list is.
        int every = Math.max(1, 100 / audiencePercent);
        api.send("POST", "/v1/audiences/" + audience + "/members", advertiser, "text/plain",
                () -> audiencePercent == 60
                        ? SyntheticBase.lines(subscribers * 6 / 10, i -> SyntheticBase.emailHash(i) + "\n")
                        : SyntheticBase.lines(subscribers, i -> i % every == 0 ? SyntheticBase.emailHash(i) + "\n" : ""));

        System.err.printf("[seed] %d active campaigns%n", campaigns);
        List<String> ids = new ArrayList<>();
        Instant now = Instant.now();
        for (int c = 0; c < campaigns; c++) {
            String segments = c % 2 == 0 ? "[]" : "[\"load-fans\"]";
            String created = api.json("POST", "/v1/campaigns", advertiser, "{\"audience_id\":\"" + audience
                    + "\",\"segments\":" + segments + ",\"starts_at\":\"" + now.minus(Duration.ofMinutes(5))
                    + "\",\"ends_at\":\"" + now.plus(Duration.ofDays(1)) + "\"}");
            ids.add(JSON.readTree(created).get("id").asText());
        }
        Files.writeString(out, String.join(",", ids));
        return 0;
    }
}
