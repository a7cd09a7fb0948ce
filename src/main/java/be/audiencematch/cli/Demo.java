package be.audiencematch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Duration;
import java.util.List;

/**
 * Seeds a running service with a synthetic base and walks through what an advertiser sees. Called by
 * {@code bin/audience-match demo} once the service is up.
 */
final class Demo {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Demo() {
    }

    static int run(List<String> args) throws Exception {
        String baseUrl = Cli.option(args, "--base-url", "http://localhost:8080");
        int subscribers = Integer.parseInt(Cli.option(args, "--subscribers", "100000"));
        LocalKeys keys = new LocalKeys(Cli.keysDir()).ensure();
        String feed = keys.token("subscriber-feed", "demo-feed", Duration.ofHours(1));
        String advertiser = keys.token("advertiser", "demo-advertiser", Duration.ofHours(12));
        HttpApi api = new HttpApi(baseUrl);

        step("Loading " + subscribers + " synthetic subscribers (NDJSON, streamed)");
        long t0 = System.nanoTime();
        JsonNode bulk = JSON.readTree(api.send("POST", "/v1/subscribers/bulk", feed, "application/x-ndjson",
                () -> SyntheticBase.lines(subscribers, SyntheticBase::ndjsonLine)));
        System.out.printf("  accepted %d, rejected %d in %.1f s%n", bulk.get("accepted").asLong(),
                bulk.get("rejected").asLong(), (System.nanoTime() - t0) / 1e9);

        step("Publishing profile segment 'football-fan' (tv)");
        JsonNode segment = JSON.readTree(api.send("PUT", "/v1/segments/football-fan?channel=tv", feed, "text/plain",
                () -> SyntheticBase.lines(subscribers, i -> SyntheticBase.inSegment(20, i)
                        ? SyntheticBase.emailHash(i) + "\n" : "\n")));
        System.out.printf("  %d members%n", segment.get("members").asLong());

        int known = Math.min(30_000, subscribers);
        int unknown = 10_000;
        step("An advertiser uploads its customer list: " + known + " customers we know, " + unknown
                + " we don't, 3 rows sent in clear text by mistake, 2 garbled rows");
        String created = api.json("POST", "/v1/audiences", advertiser,
                "{\"name\":\"Demo customer list\",\"identifier_type\":\"email_sha256\",\"channel\":\"tv\",\"ttl_days\":30}");
        String id = JSON.readTree(created).get("id").asText();
        int total = known + unknown + 5;
        JsonNode upload = JSON.readTree(api.send("POST", "/v1/audiences/" + id + "/members", advertiser,
                "text/plain", () -> SyntheticBase.lines(total, i -> sampleRow(i, known, unknown) + "\n")));
        System.out.println("  upload: " + upload);

        step("The aggregate report (counts only; small counts are suppressed)");
        System.out.println("  " + JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
                JSON.readTree(api.get("/v1/audiences/" + id, advertiser))).replace("\n", "\n  "));
        step("The same list refined with the 'football-fan' segment");
        JsonNode refined = JSON.readTree(api.get("/v1/audiences/" + id + "?segments=football-fan", advertiser));
        System.out.println("  matched: " + refined.get("matched") + "  below_threshold: " + refined.get("below_threshold"));

        step("A campaign on that list, and the Pickx ad server asking for two households");
        String adserver = keys.token("adserver", "pickx", Duration.ofHours(1));
        java.time.Instant now = java.time.Instant.now();
        String campaign = JSON.readTree(api.json("POST", "/v1/campaigns", advertiser, "{\"audience_id\":\"" + id
                + "\",\"segments\":[\"football-fan\"],\"starts_at\":\"" + now.minusSeconds(60) + "\",\"ends_at\":\""
                + now.plus(Duration.ofDays(7)) + "\"}")).get("id").asText();
        for (String household : eligibleAndNot(subscribers)) {
            System.out.println("  " + api.json("POST", "/v1/eligibility", adserver, "{\"household_id\":\"" + household
                    + "\",\"campaign_ids\":[\"" + campaign + "\"]}"));
        }
        JsonNode view = JSON.readTree(api.get("/v1/campaigns/" + campaign, advertiser));
        System.out.println("  campaign " + view.get("status").asText() + ", reach " + view.get("reach"));

        step("Ads & Data pulls 'football-fan': consenting members only, as pseudonyms, encrypted to its key");
        String adsdata = keys.token("adsdata", "ads-and-data", Duration.ofHours(1));
        byte[] export = api.bytes("/v1/exports/ads-and-data/segments/football-fan", adsdata);
        java.nio.file.Path privateKey = Cli.exportKeysDir().resolve("adsdata-private.key");
        long[] pseudonyms = {0};
        be.audiencematch.export.Envelope.Header header = be.audiencematch.export.Envelope.read(
                new java.io.ByteArrayInputStream(export),
                be.audiencematch.crypto.ExportKeys.KeyFiles.readKey(privateKey), chunk -> {
                    try {
                        pseudonyms[0] += JSON.readTree(chunk).get("added").size();
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
        System.out.printf("  %d encrypted bytes, decrypted with %s: %d pseudonyms, key %s, next cursor %s%n",
                export.length, privateKey.getFileName(), pseudonyms[0], header.keyVersion(), header.nextCursor());

        java.nio.file.Path samples = DemoSamples.write(subscribers, known, unknown);
        System.out.println();
        System.out.println("Audience id: " + id + "   campaign id: " + campaign + "   (advertiser: demo-advertiser)");
        System.out.println("Sample files for the README's examples in " + samples + ": customers.csv (clear text, for "
                + "'upload'), customers.txt.gz, football-fans.txt, subscribers.ndjson");
        return 0;
    }

    /** A household of a listed football fan who consents to TV, and one of a subscriber not on the list. */
    private static List<String> eligibleAndNot(int subscribers) {
        int fan = 0;
        while (fan < Math.min(30_000, subscribers) && !(SyntheticBase.inSegment(20, fan) && SyntheticBase.tv(fan))) {
            fan++;
        }
        int stranger = Math.min(subscribers - 1, 30_000 + 1);
        return List.of("hh-" + (fan / 2), "hh-" + (stranger / 2));
    }

    private static String sampleRow(int i, int known, int unknown) {
        if (i < known) {
            return SyntheticBase.emailHash(i);
        }
        if (i < known + unknown) {
            return new be.audiencematch.identity.IdentifierNormalizer()
                    .hashHex(be.audiencematch.identity.IdentifierType.EMAIL_SHA256, DemoSamples.stranger(i));
        }
        return switch (i - known - unknown) {
            case 0 -> "someone@example.be";
            case 1 -> "+32 475 12 34 56";
            case 2 -> "0475/12.34.56";
            case 3 -> "not-a-hash";
            default -> "12345";
        };
    }

    private static void step(String what) {
        System.out.println();
        System.out.println("== " + what);
    }
}
