package be.audiencematch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/audience-match bench eligibility}: with wrk as the load generator, the highest rate at which eligibility
 * keeps p99 ≤ 5 ms beside the same for a no-op endpoint of the same service, latencies at half the eligibility rate,
 * and 1,000 consent withdrawals under that load, each followed at once by an eligibility question that must no
 * longer list the campaign. Prints one JSON line.
 *
 * <p>Both endpoints get the very same requests from the same wrk script ({@code POST} with the eligibility body;
 * {@code POST /v1/ping} ignores it), so the load generator's own cost is the same on both sides. When the launcher
 * passes the process ids, CPU time per request of the service and of Redis is measured too (from /proc), which
 * tells where the difference between the two endpoints goes.
 */
final class EligibilityBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] CONNECTIONS = {1, 2, 4, 8, 16, 32, 64};
    private static final double P99_LIMIT_MS = 5.0;

    /** One wrk run: requests per second and latency percentiles in ms. */
    record Run(double rps, double p50, double p99, double p999, long errors) {
    }

    private EligibilityBench() {
    }

    static int run(List<String> args) throws Exception {
        String baseUrl = Cli.option(args, "--base-url", "http://localhost:8080");
        // Metrics live on the management port in production (docs/operations.md); without it, on the API port.
        String managementUrl = Cli.option(args, "--management-url", baseUrl);
        int subscribers = Integer.parseInt(Cli.option(args, "--subscribers", "1000000"));
        List<String> campaigns = Arrays.asList(Files.readString(Path.of(Cli.option(args, "--campaigns-file",
                "campaigns.txt"))).strip().split(","));
        int seconds = Integer.parseInt(Cli.option(args, "--step-seconds", "8"));
        int withdrawals = Integer.parseInt(Cli.option(args, "--withdrawals", "1000"));
        LocalKeys keys = new LocalKeys(Cli.keysDir()).ensure();
        String adserver = keys.token("adserver", "bench-adserver", Duration.ofHours(2));
        String feed = keys.token("subscriber-feed", "bench-feed", Duration.ofHours(2));
        Path dir = Files.createTempDirectory("am-wrk-");
        Path eligibilityScript = dir.resolve("eligibility.lua");
        Files.writeString(eligibilityScript, eligibilityLua(adserver, campaigns, subscribers / 2, 0));
        long servicePid = Long.parseLong(Cli.option(args, "--service-pid", "0"));
        long redisPid = Long.parseLong(Cli.option(args, "--redis-pid", "0"));

        progress("warming up both endpoints");
        wrk(baseUrl + "/v1/ping", eligibilityScript, 8, seconds * 2);
        wrk(baseUrl + "/v1/eligibility", eligibilityScript, 8, seconds * 2);
        progress("sweeping connections for the no-op endpoint");
        double[] trivial = maxRate(baseUrl + "/v1/ping", eligibilityScript, seconds);
        progress("sweeping connections for eligibility");
        double[] eligibility = maxRate(baseUrl + "/v1/eligibility", eligibilityScript, seconds);
        double trivialMax = trivial[0];
        double eligibilityMax = eligibility[0];
        double[] trivialCpu = null;
        double[] eligibilityCpu = null;
        if (servicePid > 0 && redisPid > 0) {
            progress("CPU per request at 8 connections");
            trivialCpu = cpuPerRequest(baseUrl + "/v1/ping", eligibilityScript, seconds, servicePid, redisPid);
            eligibilityCpu = cpuPerRequest(baseUrl + "/v1/eligibility", eligibilityScript, seconds, servicePid, redisPid);
        }

        // When no run kept p99 within the limit, half of the peak rate still tells how it behaves under load.
        double half = (eligibilityMax > 0 ? eligibilityMax : eligibility[1]) / 2;
        // wrk paces each connection with a whole-millisecond delay after each answer: 2 ms, and as many connections
        // as make half the rate with about half a millisecond per answer. (Ten-millisecond delays over a hundred
        // connections gave even the no-op endpoint a p99 near 20 ms at 9,000/s: wrk's own timers, not the service.)
        int connections = (int) Math.max(2, Math.round(half * 0.0025));
        Files.writeString(eligibilityScript, eligibilityLua(adserver, campaigns, subscribers / 2, 2.0));
        // Each answer adds its own latency (and wrk's timer slack) to the 2 ms: two short paced runs find the number
        // of connections that gives half the rate, rather than a quarter less.
        for (int round = 0; round < 2; round++) {
            Run probe = wrk(baseUrl + "/v1/eligibility", eligibilityScript, connections, Math.max(3, seconds / 2));
            if (probe.rps() > 0) {
                connections = (int) Math.max(2, Math.min(connections * 2L, Math.round(connections * half / probe.rps())));
            }
        }
        progress("latency at half the eligibility rate (%.0f/s, %d paced connections)", half, connections);
        Run atHalf = wrk(baseUrl + "/v1/eligibility", eligibilityScript, connections, seconds * 2);
        // The trivial endpoint at the same pace: the machine's own floor for these percentiles.
        Run trivialAtHalf = wrk(baseUrl + "/v1/ping", eligibilityScript, connections, seconds * 2);

        progress("%d withdrawals under load", withdrawals);
        Process background = startWrk(baseUrl + "/v1/eligibility", eligibilityScript, connections, 600);
        long[] outcome;
        try {
            outcome = withdrawals(baseUrl, feed, adserver, campaigns.get(0), subscribers, withdrawals);
        } finally {
            background.destroy();
            background.waitFor();
        }

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("eligibility_max_rps", Math.round(eligibilityMax));
        result.put("trivial_max_rps", Math.round(trivialMax));
        result.put("ratio", trivialMax > 0 ? Math.round(eligibilityMax / trivialMax * 1000) / 1000.0 : null);
        result.put("eligibility_peak_rps", Math.round(eligibility[1]));
        result.put("trivial_peak_rps", Math.round(trivial[1]));
        result.put("p50_ms", round(atHalf.p50()));
        result.put("p99_ms", round(atHalf.p99()));
        result.put("p999_ms", round(atHalf.p999()));
        result.put("rate_at_half_rps", Math.round(atHalf.rps()));
        result.put("trivial_p50_ms_at_same_rate", round(trivialAtHalf.p50()));
        result.put("trivial_p99_ms_at_same_rate", round(trivialAtHalf.p99()));
        result.put("failed_requests", atHalf.errors());
        result.put("withdrawals", outcome[0]);
        result.put("stale_answers", outcome[1]);
        result.put("withdrawal_visible_p99_ms", outcome[2] / 1000.0);
        result.put("answers_from_view_share", viewShare(managementUrl));
        if (trivialCpu != null) {
            result.put("trivial_service_cpu_us_per_request", Math.round(trivialCpu[0]));
            result.put("eligibility_service_cpu_us_per_request", Math.round(eligibilityCpu[0]));
            result.put("eligibility_redis_cpu_us_per_request", Math.round(eligibilityCpu[1]));
        }
        System.out.println(JSON.writeValueAsString(result));
        return 0;
    }

    /**
     * {highest rate whose p99 stays within the limit without errors (0 when none did), highest rate seen}, over
     * growing connection counts.
     */
    private static double[] maxRate(String url, Path script, int seconds) throws Exception {
        double best = 0;
        double peak = 0;
        for (int c : CONNECTIONS) {
            Run run = wrk(url, script, c, seconds);
            progress("  %2d connections: %.0f req/s, p99 %.2f ms, %d errors", c, run.rps(), run.p99(), run.errors());
            if (run.errors() == 0) {
                peak = Math.max(peak, run.rps());
            }
            if (run.p99() <= P99_LIMIT_MS && run.errors() == 0) {
                best = Math.max(best, run.rps());
            } else if (run.errors() > 0) {
                break;
            }
        }
        return new double[] {best, peak};
    }

    /**
     * The share of eligibility answers the service gave from its own view rather than from Redis, from its metrics
     * (null when they cannot be read).
     */
    private static Double viewShare(String managementUrl) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(managementUrl
                    + "/q/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            double view = 0;
            double redis = 0;
            for (String line : r.body().split("\n")) {
                if (line.startsWith("audience_match_eligibility_answers_total{")) {
                    double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    if (line.contains("source=\"view\"")) {
                        view += value;
                    } else {
                        redis += value;
                    }
                }
            }
            return view + redis > 0 ? Math.round(view / (view + redis) * 10000) / 10000.0 : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** {service, Redis} CPU microseconds per request over one wrk run at 8 connections. */
    private static double[] cpuPerRequest(String url, Path script, int seconds, long servicePid, long redisPid)
            throws Exception {
        long service = cpuTicks(servicePid);
        long redis = cpuTicks(redisPid);
        Run run = wrk(url, script, 8, seconds);
        double requests = run.rps() * seconds;
        double microsPerTick = 1e6 / 100;   // USER_HZ is 100 on Linux
        return new double[] {(cpuTicks(servicePid) - service) * microsPerTick / requests,
            (cpuTicks(redisPid) - redis) * microsPerTick / requests};
    }

    /** User + system CPU time of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
    static long cpuTicks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static Run wrk(String url, Path script, int connections, int seconds) throws Exception {
        Process p = startWrk(url, script, connections, seconds);
        String result = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("RESULT ")) {
                    result = line;
                }
            }
        }
        p.waitFor();
        if (result == null) {
            throw new IllegalStateException("wrk printed no result (is wrk installed?)");
        }
        String[] f = result.split(" ");
        double durationS = Long.parseLong(f[2]) / 1e6;
        return new Run(Long.parseLong(f[1]) / durationS, Long.parseLong(f[3]) / 1000.0, Long.parseLong(f[4]) / 1000.0,
                Long.parseLong(f[5]) / 1000.0, Long.parseLong(f[6]));
    }

    private static Process startWrk(String url, Path script, int connections, int seconds) throws Exception {
        int threads = Math.min(2, connections);
        return new ProcessBuilder("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "--timeout", "5s",
                "-s", script.toString(), url).redirectErrorStream(true).start();
    }

    /** Withdraw TV consent for both members of a targeted household; the next answer must not list the campaign. */
    private static long[] withdrawals(String baseUrl, String feed, String adserver, String campaign, int subscribers,
                                      int count) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        int listed = subscribers * 6 / 10;
        long done = 0;
        long stale = 0;
        List<Long> visibleMicros = new ArrayList<>();
        for (int k = 0; done < count && k < count * 3; k++) {
            int household = (int) ((k * 7919L) % (listed / 2 - 1));
            int a = household * 2;
            int b = a + 1;
            consent(http, baseUrl, feed, a, true);
            consent(http, baseUrl, feed, b, true);
            if (!eligible(http, baseUrl, adserver, "hh-" + household, campaign)) {
                continue;
            }
            consent(http, baseUrl, feed, a, false);
            consent(http, baseUrl, feed, b, false);
            long acknowledged = System.nanoTime();
            if (eligible(http, baseUrl, adserver, "hh-" + household, campaign)) {
                stale++;
            }
            visibleMicros.add((System.nanoTime() - acknowledged) / 1000);
            done++;
            consent(http, baseUrl, feed, a, true);
            consent(http, baseUrl, feed, b, true);
        }
        visibleMicros.sort(Long::compare);
        long p99 = visibleMicros.isEmpty() ? 0 : visibleMicros.get((int) Math.ceil(visibleMicros.size() * 0.99) - 1);
        return new long[] {done, stale, p99};
    }

    private static void consent(HttpClient http, String baseUrl, String token, int subscriber, boolean tv) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/subscribers/sub-" + subscriber
                        + "/consents")).header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"tv\":" + tv + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 204) {
            throw new IllegalStateException("consent change answered " + r.statusCode());
        }
    }

    private static boolean eligible(HttpClient http, String baseUrl, String token, String household, String campaign)
            throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/eligibility"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"household_id\":\"" + household + "\",\"campaign_ids\":[\""
                        + campaign + "\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode eligible = JSON.readTree(r.body()).get("eligible");
        return eligible != null && eligible.size() > 0;
    }

    /**
     * 10,000 questions formatted once per wrk thread, then sent in turn: making a body per request in wrk's Lua
     * costs wrk more CPU than the no-op endpoint costs the service, and delays wrk's reading of the answers. Each
     * thread draws the same questions in every run (a seed per thread): the households of a running ad server
     * recur ad slot after ad slot, so the warm-up run meets them first, as a replica in service would have.
     */
    private static String eligibilityLua(String token, List<String> campaigns, int households, double delayMs) {
        return "wrk.method = \"POST\"\nwrk.headers[\"Authorization\"] = \"Bearer " + token + "\"\n"
                + "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
                + "local campaigns = {\"" + String.join("\",\"", campaigns) + "\"}\n"
                + "local pool, next = {}, 0\n"
                + "local threads = 0\n"
                + "setup = function(thread)\n"
                + "  threads = threads + 1\n"
                + "  thread:set('seed', threads)\n"
                + "end\n"
                + "init = function(args)\n"
                + "  math.randomseed(7919 * seed)\n"
                + "  for k = 1, 10000 do\n"
                + "    local ids = {}\n"
                + "    for i = 1, 10 do ids[i] = '\"' .. campaigns[math.random(#campaigns)] .. '\"' end\n"
                + "    local body = '{\"household_id\":\"hh-' .. math.random(0, " + (households - 1) + ") .. "
                + "'\",\"campaign_ids\":[' .. table.concat(ids, ',') .. ']}'\n"
                + "    pool[k] = wrk.format(nil, nil, nil, body)\n"
                + "  end\n"
                + "end\n"
                + "request = function()\n"
                + "  next = next % #pool + 1\n"
                + "  return pool[next]\n"
                + "end\n" + delayLua(delayMs) + doneLua();
    }

    private static String delayLua(double delayMs) {
        return delayMs <= 0 ? "" : "delay = function() return " + Math.max(1, Math.round(delayMs)) + " end\n";
    }

    /** wrk counts non-2xx answers under errors.status; all error kinds add up to failed requests. */
    private static String doneLua() {
        return "done = function(summary, latency, requests)\n"
                + "  local e = summary.errors\n"
                + "  io.write(string.format('RESULT %d %d %d %d %d %d\\n', summary.requests, summary.duration,"
                + " latency:percentile(50), latency:percentile(99), latency:percentile(99.9),"
                + " e.connect + e.read + e.write + e.status + e.timeout))\n"
                + "end\n";
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static void progress(String format, Object... args) {
        System.err.printf("[bench eligibility] " + format + "%n", args);
    }
}
