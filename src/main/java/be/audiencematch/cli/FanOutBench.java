package be.audiencematch.cli;

import be.audiencematch.kernel.ShardTags;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.slots.ClusterSlotRange;
import io.lettuce.core.cluster.models.slots.ClusterSlotsParser;
import io.lettuce.core.codec.ByteArrayCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * {@code bin/audience-match bench fanout}: what a report costs when the base is split into S shards spread over a
 * cluster's primaries (docs/scaling.md, "Report latency"). For each S it writes, in every shard, the three bitmaps a
 * report ANDs (audience, consent, one segment) over N/S numbers, then times reports: one script call per shard
 * (BITOP AND, BITCOUNT), all sent at once, each to the primary serving its shard's tag ({@link ShardTags}), and the
 * counts summed. S = 1 is today's one-slot report, the baseline the others are measured against in the same run.
 */
@Command(name = "bench-fanout", mixinStandardHelpOptions = true,
        description = "Time a report fanned out over S shards of a Redis Cluster; one JSON line.")
final class FanOutBench implements Callable<Integer> {

    private static final String REPORT = "redis.call('BITOP', 'AND', KEYS[4], KEYS[1], KEYS[2], KEYS[3]) "
            + "local count = redis.call('BITCOUNT', KEYS[4]) redis.call('DEL', KEYS[4]) return count";

    @Option(names = "--nodes", required = true, paramLabel = "URLS",
            description = "every primary's URL, comma-separated")
    String nodes;
    @Option(names = "--subscribers", paramLabel = "N", description = "numbers in the base (default: ${DEFAULT-VALUE})")
    int subscribers = 10_000_000;
    @Option(names = "--shards", paramLabel = "LIST", split = ",",
            description = "shard counts to time, the first the baseline (default: 1,16,64,256)")
    int[] shards = {1, 16, 64, 256};
    @Option(names = "--reports", paramLabel = "N", description = "reports timed per shard count (default: ${DEFAULT-VALUE})")
    int reports = 300;

    @Override
    public Integer call() throws Exception {
        RedisClient client = RedisClient.create();
        List<StatefulRedisConnection<byte[], byte[]>> primaries = new ArrayList<>();
        try {
            for (String url : nodes.split(",")) {
                primaries.add(client.connect(ByteArrayCodec.INSTANCE, RedisURI.create(url.trim())));
            }
            List<ClusterSlotRange> ranges = null;
            List<String> ids = new ArrayList<>();
            for (String url : nodes.split(",")) {
                // CLUSTER SLOTS and MYID are read as text (the parser takes strings).
                try (StatefulRedisConnection<String, String> text = client.connect(RedisURI.create(url.trim()))) {
                    ids.add(text.sync().clusterMyId());
                    if (ranges == null) {
                        ranges = ClusterSlotsParser.parse(text.sync().clusterSlots());
                    }
                }
            }
            String sha = null;
            for (StatefulRedisConnection<byte[], byte[]> primary : primaries) {
                sha = primary.sync().scriptLoad(REPORT.getBytes(StandardCharsets.UTF_8));
            }
            ObjectNode out = new ObjectMapper().createObjectNode();
            out.put("subscribers", subscribers);
            out.put("primaries", primaries.size());
            ArrayNode layouts = out.putArray("layouts");
            double baseline = 0;
            for (int count : shards) {
                ObjectNode layout = time(primaries, ids, ranges, sha, count);
                if (baseline == 0) {
                    baseline = layout.get("p50_ms").asDouble();
                }
                layout.put("p50_ratio", Math.round(layout.get("p50_ms").asDouble() / baseline * 100) / 100.0);
                layouts.add(layout);
            }
            System.out.println(out);
            return 0;
        } finally {
            primaries.forEach(StatefulRedisConnection::close);
            client.shutdown();
        }
    }

    private ObjectNode time(List<StatefulRedisConnection<byte[], byte[]>> primaries, List<String> ids,
                            List<ClusterSlotRange> ranges, String sha, int count) throws Exception {
        Random random = new Random(count);
        byte[][][] keys = new byte[count][][];
        int[] primaryOf = new int[count];
        int[] held = new int[primaries.size()];
        // Tags are placed by ShardTags (shard s of S in the s-th S-th of the slots); S = 1 is the one-slot layout.
        for (int s = 0; s < count; s++) {
            String tag = count == 1 ? "{am}" : ShardTags.tag(s, count);
            primaryOf[s] = primaryServing(ids, ranges, SlotHash.getSlot(tag));
            held[primaryOf[s]]++;
            keys[s] = new byte[][] {bytes(tag + ":audience"), bytes(tag + ":consent"), bytes(tag + ":segment"),
                bytes(tag + ":scratch")};
            byte[] bits = new byte[(subscribers / count + 7) / 8];
            for (int k = 0; k < 3; k++) {
                random.nextBytes(bits);
                primaries.get(primaryOf[s]).sync().set(keys[s][k], bits);
            }
        }
        long[] nanos = new long[reports];
        for (int round = -reports / 5; round < reports; round++) {
            long started = System.nanoTime();
            List<CompletableFuture<Long>> calls = new ArrayList<>(count);
            for (int s = 0; s < count; s++) {
                calls.add(primaries.get(primaryOf[s]).async()
                        .<Long>evalsha(sha, ScriptOutputType.INTEGER, keys[s]).toCompletableFuture());
            }
            long sum = 0;
            for (CompletableFuture<Long> call : calls) {
                sum += call.get();
            }
            if (round >= 0) {
                nanos[round] = System.nanoTime() - started;
            }
            if (sum < 0) {
                throw new IllegalStateException("a count below zero");
            }
        }
        for (int s = 0; s < count; s++) {
            primaries.get(primaryOf[s]).sync().del(keys[s][0], keys[s][1], keys[s][2]);
        }
        Arrays.sort(nanos);
        ObjectNode layout = new ObjectMapper().createObjectNode();
        layout.put("shards", count);
        ArrayNode perPrimary = layout.putArray("shards_per_primary");
        Arrays.stream(held).forEach(perPrimary::add);
        layout.put("p50_ms", Math.round(nanos[reports / 2] / 10_000.0) / 100.0);
        layout.put("p99_ms", Math.round(nanos[reports * 99 / 100] / 10_000.0) / 100.0);
        return layout;
    }

    /** Which of the given primaries serves {@code slot}, by their node ids. */
    private static int primaryServing(List<String> ids, List<ClusterSlotRange> ranges, int slot) {
        for (ClusterSlotRange range : ranges) {
            if (slot >= range.getFrom() && slot <= range.getTo() && ids.contains(range.getUpstream().getNodeId())) {
                return ids.indexOf(range.getUpstream().getNodeId());
            }
        }
        throw new IllegalStateException("no given primary serves slot " + slot);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
