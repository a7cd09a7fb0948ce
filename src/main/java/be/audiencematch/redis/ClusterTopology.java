package be.audiencematch.redis;

import be.audiencematch.kernel.RedisUrls;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.resource.ClientResources;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Which primary serves a hash slot, as Lettuce's {@link RedisClusterClient} reads the topology: from the configured
 * seeds first, then from every node the last reading named (dynamic refresh sources), so that after a failover the
 * promoted replica is found even when the configured seed was the primary that died. The service's own connections
 * (per event loop, dedicated, bulk: RedisConnections) then go to that primary; they are plain node connections
 * because every call already knows its slot, and the per-event-loop connections measurably pay on the hot path
 * (docs/architecture.md, "Standalone and Cluster").
 *
 * <p>Credentials, TLS and timeouts are the configured URL's: the topology is read with the same client options, and a
 * node it names is reached with the first seed's credentials and scheme.
 */
final class ClusterTopology {

    private final RedisClusterClient client;
    private final List<RedisURI> seeds;
    private final int slot;

    ClusterTopology(ClientResources resources, ClientOptions options, List<RedisURI> seeds, String keyPrefix) {
        if (!RedisUrls.hasHashTag(keyPrefix)) {
            throw new IllegalStateException("on Redis Cluster every key must share one slot: the key prefix needs a "
                    + "hash tag (RedisUrls.keyPrefix gives it one)");
        }
        this.seeds = List.copyOf(seeds);
        this.slot = SlotHash.getSlot(keyPrefix);
        this.client = RedisClusterClient.create(resources, this.seeds);
        // Refreshes are driven by RedisConnections (every 5 s, twice a second after a lost connection or a MOVED
        // answer), not by Lettuce's own scheduler: that one runs only for Lettuce's cluster connections, which the
        // service does not use for its commands.
        this.client.setOptions(ClusterClientOptions.builder(options)
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .dynamicRefreshSources(true)
                        .closeStaleConnections(true)
                        .build())
                .build());
    }

    /** The slot of the key prefix: every key of the service lives in it. */
    int slot() {
        return slot;
    }

    /** Reads the topology again (a Redis failure when no node answers: 503 to callers, readiness down). */
    CompletionStage<Void> refresh() {
        CompletableFuture<Void> read = new CompletableFuture<>();
        client.refreshPartitionsAsync().whenComplete((ignored, failure) -> {
            if (failure != null) {
                read.completeExceptionally(new RedisConnectionException("cannot read the Redis Cluster topology",
                        failure));
            } else {
                read.complete(null);
            }
        });
        return read;
    }

    /**
     * The primary serving {@code slot} as the last reading ({@link #refresh()}) says; a Redis failure when no primary
     * serves it.
     */
    RedisURI primaryOf(int slot) {
        RedisClusterNode node = client.getPartitions().getMasterBySlot(slot);
        if (node == null || node.getUri() == null) {
            throw new RedisConnectionException("no Redis Cluster primary serves slot " + slot);
        }
        return like(node.getUri());
    }

    /** A node of the topology, with the first seed's credentials, TLS and timeout. */
    private RedisURI like(RedisURI node) {
        return RedisURI.builder(seeds.get(0)).withHost(node.getHost()).withPort(node.getPort()).build();
    }

    void shutdown() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
