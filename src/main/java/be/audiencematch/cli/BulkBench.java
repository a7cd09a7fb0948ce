package be.audiencematch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/audience-match bench bulk}: the bulk load alone, on a warm service. Posts a warm-up of other subscribers
 * first (over Java's HTTP client), then N subscribers from a file with {@code curl} (a load generator that takes
 * little of the two cores), and prints one JSON line: the rate, and the CPU time per subscriber of the service and
 * of Redis (from /proc, when the launcher passes their process ids). The core benchmark measures the same endpoint
 * cold, as the first thing a fresh service does.
 */
final class BulkBench {

    private BulkBench() {
    }

    static int run(List<String> args) throws Exception {
        String baseUrl = Cli.option(args, "--base-url", "http://localhost:8080");
        int n = Integer.parseInt(Cli.option(args, "--subscribers", "1000000"));
        int warmUp = Integer.parseInt(Cli.option(args, "--warm-up", "300000"));
        long redisPid = Long.parseLong(Cli.option(args, "--redis-pid", "0"));
        long servicePid = Long.parseLong(Cli.option(args, "--service-pid", "0"));
        String feed = new LocalKeys(Cli.keysDir()).ensure().token("subscriber-feed", "bench-feed", Duration.ofHours(2));
        HttpApi api = new HttpApi(baseUrl);

        // Warm-up subscribers are numbered after the measured ones, so they are other people.
        Bench.progress("warm-up: %d other subscribers", warmUp);
        api.send("POST", "/v1/subscribers/bulk", feed, "application/x-ndjson",
                Bench.render(warmUp, i -> SyntheticBase.ndjsonLine(n + i)));
        Bench.progress("bulk load of %d subscribers (sent by curl from a file)", n);
        // The service and Redis idle while the file is written, so their CPU is read before it.
        long service = servicePid > 0 ? EligibilityBench.cpuTicks(servicePid) : 0;
        long redis = redisPid > 0 ? EligibilityBench.cpuTicks(redisPid) : 0;
        double seconds = CurlPost.bulkLoad(baseUrl, feed, n, SyntheticBase::ndjsonLine);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("subscribers", n);
        result.put("warm_up", warmUp);
        report(result, "", n, seconds, servicePid, service, redisPid, redis);
        // The operator's daily full feed: the same subscribers again, every one of them replaced
        // (docs/performance.md, "Bulk load: a feed sent again").
        Bench.progress("the same %d subscribers sent again", n);
        service = servicePid > 0 ? EligibilityBench.cpuTicks(servicePid) : 0;
        redis = redisPid > 0 ? EligibilityBench.cpuTicks(redisPid) : 0;
        double again = CurlPost.bulkLoad(baseUrl, feed, n, SyntheticBase::ndjsonLine);
        report(result, "sent_again_", n, again, servicePid, service, redisPid, redis);
        System.out.println(new ObjectMapper().writeValueAsString(result));
        return 0;
    }

    private static void report(Map<String, Object> result, String prefix, int n, double seconds, long servicePid,
                               long service, long redisPid, long redis) throws Exception {
        result.put(prefix + "seconds", Bench.round(seconds, 3));
        result.put(prefix + (prefix.isEmpty() ? "bulk_load_subscribers_per_s" : "subscribers_per_s"),
                Math.round(n / seconds));
        double microsPerTick = 1e6 / 100;   // USER_HZ is 100 on Linux
        if (servicePid > 0) {
            result.put(prefix + "service_cpu_us_per_subscriber",
                    Bench.round((EligibilityBench.cpuTicks(servicePid) - service) * microsPerTick / n, 2));
        }
        if (redisPid > 0) {
            result.put(prefix + "redis_cpu_us_per_subscriber",
                    Bench.round((EligibilityBench.cpuTicks(redisPid) - redis) * microsPerTick / n, 2));
        }
    }
}
