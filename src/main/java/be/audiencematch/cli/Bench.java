package be.audiencematch.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.slots.ClusterSlotRange;
import io.lettuce.core.cluster.models.slots.ClusterSlotsParser;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * {@code bin/audience-match bench}: seeds N subscribers and 50 segments through the API of a running service, then
 * measures bulk load, a 1M-row upload-to-report, report latency, Redis memory per subscriber and, in the same run,
 * the raw Redis round-trip floor. Prints one JSON line on stdout; progress goes to stderr. On a Redis Cluster
 * ({@code --redis-url} naming every primary, comma-separated) memory is read per primary, and
 * {@code max_primary_share} says how much of the base's memory the fullest one holds (docs/scaling.md).
 */
final class Bench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Bench() {
    }

    static int run(List<String> args) throws Exception {
        String baseUrl = Cli.option(args, "--base-url", "http://localhost:8080");
        String redisUrl = Cli.option(args, "--redis-url", "redis://localhost:6379");
        int n = Integer.parseInt(Cli.option(args, "--subscribers", "1000000"));
        int segmentCount = Integer.parseInt(Cli.option(args, "--segments", "50"));
        int audienceRows = Integer.parseInt(Cli.option(args, "--audience-rows", "1000000"));
        int reports = 100;

        LocalKeys keys = new LocalKeys(Cli.keysDir()).ensure();
        String feed = keys.token("subscriber-feed", "bench-feed", Duration.ofHours(4));
        String advertiser = keys.token("advertiser", "bench-advertiser", Duration.ofHours(4));
        HttpApi api = new HttpApi(baseUrl);
        // Without Lettuce's per-command latency recording, as the service runs: the baseline is a floor, not a handicap.
        ClientResources resources = ClientResources.builder()
                .commandLatencyRecorder(CommandLatencyRecorder.disabled()).build();
        List<String> nodes = Arrays.stream(redisUrl.split(",")).map(String::trim).filter(u -> !u.isEmpty()).toList();
        RedisClient client = RedisClient.create(resources, nodes.get(0));
        Map<String, Object> result = new LinkedHashMap<>();

        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            progress("hashing %d synthetic subscribers", n);
            String[] emails = IntStream.range(0, n).parallel().mapToObj(SyntheticBase::emailHash).toArray(String[]::new);
            long[] nodesBefore = usedMemory(resources, nodes);

            progress("bulk load of %d subscribers through POST /v1/subscribers/bulk (curl, from a file)", n);
            double bulkSeconds = CurlPost.bulkLoad(baseUrl, feed, n, SyntheticBase::ndjsonLine);

            for (int s = 0; s < segmentCount; s++) {
                int segment = s;
                progress("segment %d of %d", s + 1, segmentCount);
                byte[] rows = render(n, i -> SyntheticBase.inSegment(segment, i) ? emails[i] + "\n" : "");
                api.send("PUT", "/v1/segments/seg-" + s + "?channel=tv", feed, "text/plain", rows);
            }
            long[] nodesAfter = usedMemory(resources, nodes);
            long memoryBefore = Arrays.stream(nodesBefore).sum();
            long memoryAfter = Arrays.stream(nodesAfter).sum();

            progress("raw baseline: 1M pipelined GETs on one Lettuce connection");
            // On a cluster the raw keys carry a hash tag the first node serves, so it answers them itself.
            double rawPerSecond = rawGets(client, 1_000_000, nodes.size() > 1 ? ownTag(redis) : "");

            byte[] audience = render(audienceRows, i -> (i % 2 == 0 ? emails[(i / 2) % n]
                    : SyntheticBase.emailHash(n + 1_000_000 + i)) + "\n");
            progress("warm-up upload of %d rows", audienceRows);
            upload(api, advertiser, audience, "bench warm-up");
            progress("timed upload of %d rows, then its report", audienceRows);
            long t1 = System.nanoTime();
            String id = upload(api, advertiser, audience, "bench");
            api.get("/v1/audiences/" + id, advertiser);
            double audienceSeconds = seconds(t1);

            progress("%d reports with 2 segments (and, for comparison, an authenticated list call)", reports);
            double[] latencies = latencies(api, advertiser, "/v1/audiences/" + id + "?segments=seg-0,seg-1", reports);
            double[] baseline = latencies(api, advertiser, "/v1/audiences", reports);

            result.put("subscribers", n);
            result.put("bulk_load_subscribers_per_s", Math.round(n / bulkSeconds));
            result.put("audience_rows", audienceRows);
            result.put("audience_seconds", round(audienceSeconds, 3));
            result.put("audience_rows_per_s", Math.round(audienceRows / audienceSeconds));
            result.put("raw_lookups_per_s", Math.round(rawPerSecond));
            result.put("audience_vs_raw_ratio", round(audienceRows / audienceSeconds / rawPerSecond, 3));
            result.put("report_p50_ms", round(latencies[reports / 2], 2));
            result.put("report_p99_ms", round(latencies[(int) Math.ceil(reports * 0.99) - 1], 2));
            result.put("list_call_p50_ms", round(baseline[reports / 2], 2));
            result.put("list_call_p99_ms", round(baseline[(int) Math.ceil(reports * 0.99) - 1], 2));
            result.put("redis_bytes_per_subscriber", round((double) (memoryAfter - memoryBefore) / n, 1));
            result.put("segments", segmentCount);
            if (nodes.size() > 1) {
                List<Long> grown = new ArrayList<>();
                long largest = 0;
                for (int i = 0; i < nodes.size(); i++) {
                    long g = Math.max(0, nodesAfter[i] - nodesBefore[i]);
                    grown.add(g);
                    largest = Math.max(largest, g);
                }
                long total = grown.stream().mapToLong(Long::longValue).sum();
                result.put("primary_bytes", grown);
                result.put("max_primary_share", total == 0 ? 0 : round((double) largest / total, 3));
            }
        } finally {
            client.shutdown();
            resources.shutdown();
        }
        System.out.println(JSON.writeValueAsString(result));
        return 0;
    }

    private static double[] latencies(HttpApi api, String token, String path, int count) throws Exception {
        // Warm-up, so both the service's JIT and the client's connection pool are in their steady state: at least
        // 1,000 calls and 3 seconds (a report path under C2 compilation answered in 5-11 ms now and then for the
        // first two seconds, which 1,000 calls of half a millisecond did not cover).
        long warmUntil = System.nanoTime() + 3_000_000_000L;
        for (int i = 0; i < 1000 || System.nanoTime() < warmUntil; i++) {
            api.get(path, token);
        }
        double[] latencies = new double[count];
        for (int i = 0; i < count; i++) {
            long t = System.nanoTime();
            api.get(path, token);
            latencies[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(latencies);
        return latencies;
    }

    private static String upload(HttpApi api, String token, byte[] rows, String name) throws Exception {
        String created = api.json("POST", "/v1/audiences", token,
                "{\"name\":\"" + name + "\",\"identifier_type\":\"email_sha256\",\"channel\":\"tv\"}");
        String id = JSON.readTree(created).get("id").asText();
        api.send("POST", "/v1/audiences/" + id + "/members", token, "text/plain", rows);
        return id;
    }

    private static double rawGets(RedisClient client, int count, String tag) throws Exception {
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisAsyncCommands<String, String> async = connection.async();
            int distinct = 1000;
            String prefix = "bench:raw:" + tag;
            for (int i = 0; i < distinct; i++) {
                connection.sync().set(prefix + i, "v" + i);
            }
            connection.setAutoFlushCommands(false);
            int batch = 10_000;
            long t0 = System.nanoTime();
            for (int sent = 0; sent < count; sent += batch) {
                List<RedisFuture<String>> futures = new ArrayList<>(batch);
                for (int i = 0; i < batch; i++) {
                    futures.add(async.get(prefix + ((sent + i) % distinct)));
                }
                connection.flushCommands();
                for (RedisFuture<String> f : futures) {
                    f.get(30, TimeUnit.SECONDS);
                }
            }
            double rate = count / seconds(t0);
            connection.setAutoFlushCommands(true);
            for (int i = 0; i < distinct; i++) {
                connection.sync().del(prefix + i);
            }
            return rate;
        }
    }

    /** A hash tag whose slot the connected cluster node serves: {@code {t<k>}:} for the first such k. */
    private static String ownTag(StatefulRedisConnection<String, String> redis) {
        String myId = redis.sync().clusterMyId();
        List<ClusterSlotRange> ranges = ClusterSlotsParser.parse(redis.sync().clusterSlots());
        for (int k = 0; k < 100_000; k++) {
            int slot = SlotHash.getSlot("{t" + k + "}");
            for (ClusterSlotRange range : ranges) {
                if (range.getFrom() <= slot && slot <= range.getTo() && myId.equals(range.getUpstream().getNodeId())) {
                    return "{t" + k + "}:";
                }
            }
        }
        throw new IllegalStateException("the first node serves no slot");
    }

    private static long[] usedMemory(ClientResources resources, List<String> nodes) {
        long[] used = new long[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            RedisClient node = RedisClient.create(resources, nodes.get(i));
            try (StatefulRedisConnection<String, String> c = node.connect()) {
                used[i] = usedMemory(c);
            } finally {
                node.shutdown();
            }
        }
        return used;
    }

    private static long usedMemory(StatefulRedisConnection<String, String> redis) {
        for (String line : redis.sync().info("memory").split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).trim());
            }
        }
        throw new IllegalStateException("INFO memory has no used_memory");
    }

    static byte[] render(int count, java.util.function.IntFunction<String> line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(count * 66);
        for (int i = 0; i < count; i++) {
            out.writeBytes(line.apply(i).getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    static void progress(String format, Object... args) {
        System.err.printf("[bench] " + format + "%n", args);
    }
}
