package be.audiencematch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/**
 * {@code bin/audience-match bench --cluster}'s last step: the core benchmark's line on a single Redis and on a local
 * three-primary cluster, measured in the same run, as one JSON line with the cluster's figures as ratios to the
 * single Redis' (docs/scaling.md).
 */
@Command(name = "bench-compare", mixinStandardHelpOptions = true,
        description = "Combine the core benchmark on a single Redis and on a cluster into one JSON line.")
final class BenchComparison implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--single", required = true, paramLabel = "JSON", description = "the single Redis' line")
    String single;
    @Option(names = "--cluster", required = true, paramLabel = "JSON", description = "the cluster's line")
    String cluster;

    @Override
    public Integer call() throws Exception {
        System.out.println(JSON.writeValueAsString(combine(JSON.readTree(single), JSON.readTree(cluster))));
        return 0;
    }

    static ObjectNode combine(JsonNode single, JsonNode cluster) {
        ObjectNode out = JSON.createObjectNode();
        out.set("single", single);
        out.set("cluster", cluster);
        out.put("bulk_ratio", ratio(cluster, single, "bulk_load_subscribers_per_s"));
        out.put("audience_ratio", ratio(cluster, single, "audience_rows_per_s"));
        out.put("report_p99_ratio", ratio(cluster, single, "report_p99_ms"));
        out.put("max_primary_share", cluster.path("max_primary_share").asDouble(1.0));
        return out;
    }

    private static double ratio(JsonNode numerator, JsonNode denominator, String key) {
        double below = denominator.path(key).asDouble();
        return below == 0 ? 0 : Bench.round(numerator.path(key).asDouble() / below, 3);
    }
}
