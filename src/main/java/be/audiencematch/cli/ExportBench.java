package be.audiencematch.cli;

import be.audiencematch.crypto.Pseudonymizer;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/audience-match bench export}: a segment of N consenting members exported as a snapshot through the
 * API, timed from request to last byte, beside the raw Bouncy Castle HMAC-SHA256 rate over the same ids in the
 * same run, and the service's peak resident memory. Prints one JSON line.
 */
final class ExportBench {

    private ExportBench() {
    }

    static int run(List<String> args) throws Exception {
        String baseUrl = Cli.option(args, "--base-url", "http://localhost:8080");
        int members = Integer.parseInt(Cli.option(args, "--members", "1000000"));
        String servicePid = Cli.option(args, "--service-pid", null);
        LocalKeys keys = new LocalKeys(Cli.keysDir()).ensure();
        String feed = keys.token("subscriber-feed", "bench-feed", Duration.ofHours(2));
        String adsdata = keys.token("adsdata", "bench-adsdata", Duration.ofHours(2));
        HttpApi api = new HttpApi(baseUrl);

        progress("seeding %d subscribers who all consent to Ads & Data", members);
        api.send("POST", "/v1/subscribers/bulk", feed, "application/x-ndjson", () -> SyntheticBase.lines(members,
                i -> SyntheticBase.ndjsonLine(i).replace("\"ads_and_data\":false", "\"ads_and_data\":true")));
        progress("publishing a segment of all of them");
        api.send("PUT", "/v1/segments/bench-all?channel=web", feed, "text/plain",
                () -> SyntheticBase.lines(members, i -> SyntheticBase.emailHash(i) + "\n"));

        // The JVM keeps the heap the seeding made it take; what the export adds is the peak above this.
        Long seededRss = servicePid == null ? null : memoryMb(servicePid, "VmRSS:");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/exports/ads-and-data/segments/bench-all"))
                .header("Authorization", "Bearer " + adsdata).timeout(Duration.ofMinutes(10)).build();
        progress("3 warm-up snapshots");
        for (int i = 0; i < 3; i++) {
            drain(http.send(request, HttpResponse.BodyHandlers.ofInputStream()).body());
        }
        progress("3 timed snapshots (the median counts)");
        double[] runs = new double[3];
        HttpResponse<InputStream> response = null;
        long bytes = 0;
        for (int i = 0; i < runs.length; i++) {
            long t0 = System.nanoTime();
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            bytes = drain(response.body());
            runs[i] = (System.nanoTime() - t0) / 1e9;
        }
        java.util.Arrays.sort(runs);
        double seconds = runs[1];
        long exported = Long.parseLong(response.headers().firstValue("X-Export-Added").orElse("0"));
        if (response.statusCode() != 200 || exported != members) {
            throw new IllegalStateException("export answered " + response.statusCode() + " with " + exported + " members");
        }

        progress("raw HMAC-SHA256 over the same %d ids", members);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Pseudonymizer hmac = new Pseudonymizer(key);
        long sink = 0;
        double[] raw = new double[3];
        for (int round = -2; round < raw.length; round++) {
            long t1 = System.nanoTime();
            for (int i = 0; i < members; i++) {
                sink += hmac.mac(i)[0];
            }
            if (round >= 0) {
                raw[round] = (System.nanoTime() - t1) / 1e9;
            }
        }
        java.util.Arrays.sort(raw);
        double rawSeconds = raw[1];

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("members", members);
        result.put("snapshot_seconds", Math.round(seconds * 1000) / 1000.0);
        result.put("pseudonyms_per_s", Math.round(members / seconds));
        result.put("raw_hmac_per_s", Math.round(members / rawSeconds));
        result.put("ratio_to_raw_hmac", Math.round(members / seconds / (members / rawSeconds) * 1000) / 1000.0);
        result.put("peak_rss_mb", servicePid == null ? null : memoryMb(servicePid, "VmHWM:"));
        result.put("rss_after_seeding_mb", seededRss);
        result.put("export_bytes", bytes);
        result.put("checksum", sink & 1);
        System.out.println(new ObjectMapper().writeValueAsString(result));
        return 0;
    }

    private static long drain(InputStream in) throws Exception {
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        try (in) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                total += n;
            }
        }
        return total;
    }

    /** A line of /proc/PID/status in MB: VmHWM the most resident memory the process ever had, VmRSS what it has. */
    private static Long memoryMb(String pid, String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return null;
    }

    private static void progress(String format, Object... args) {
        System.err.printf("[bench export] " + format + "%n", args);
    }
}
