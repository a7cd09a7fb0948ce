package be.audiencematch.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.models.slots.ClusterSlotRange;
import io.lettuce.core.cluster.models.slots.ClusterSlotsParser;
import io.lettuce.core.codec.StringCodec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * On Redis Cluster, every key of the service carries one hash tag (the key prefix, e.g. {@code {am}:}), so all of
 * them live in one slot: the scripts AND bitmaps of consents, segments and audiences and write several keys
 * atomically, which Redis Cluster allows only within a slot. This finds the primary that serves that slot; the
 * service then talks to it as to a standalone Redis. Credentials, TLS and timeouts are the configured URL's.
 *
 * <p>It asks every node it knows until one answers: the configured seeds, then every primary and replica the last
 * answer named. After a failover the old primary is gone and the seed may be that very node; its replica, now
 * promoted, is then found through the last answer (docs/architecture.md, "Standalone and Cluster").
 */
final class ClusterSlotOwner {

    private final RedisClient client;
    private final List<RedisURI> seeds;
    private final int slot;
    /** Every node the last CLUSTER SLOTS answer named (primaries and replicas), in the seeds' URL form. */
    private volatile List<RedisURI> lastTopology = List.of();

    ClusterSlotOwner(RedisClient client, List<RedisURI> seeds, String keyPrefix) {
        if (!hasHashTag(keyPrefix)) {
            throw new IllegalStateException("on Redis Cluster the key prefix must carry a hash tag so that every key "
                    + "shares one slot, e.g. {am}: (set AUDIENCE_MATCH_REDIS_KEY_PREFIX)");
        }
        this.client = client;
        this.seeds = List.copyOf(seeds);
        this.slot = SlotHash.getSlot(keyPrefix);
    }

    /**
     * The primary serving the prefix's slot, asked of every known node in turn: the nodes of the last answer but
     * {@code lastKnown} first (the replicas of a primary that died are the ones promoted), then the seeds, then
     * {@code lastKnown} itself.
     */
    CompletionStage<RedisURI> find(RedisURI lastKnown) {
        return askInTurn(candidates(lastKnown), 0, null);
    }

    List<RedisURI> candidates(RedisURI lastKnown) {
        Map<String, RedisURI> ordered = new LinkedHashMap<>();
        for (RedisURI node : lastTopology) {
            if (lastKnown == null || !sameNode(node, lastKnown)) {
                ordered.putIfAbsent(address(node), node);
            }
        }
        for (RedisURI seed : seeds) {
            if (lastKnown == null || !sameNode(seed, lastKnown)) {
                ordered.putIfAbsent(address(seed), seed);
            }
        }
        if (lastKnown != null) {
            ordered.putIfAbsent(address(lastKnown), lastKnown);
        }
        return new ArrayList<>(ordered.values());
    }

    private CompletionStage<RedisURI> askInTurn(List<RedisURI> nodes, int index, Throwable lastFailure) {
        if (index >= nodes.size()) {
            return CompletableFuture.failedFuture(lastFailure != null ? lastFailure
                    : new RedisConnectionException("no Redis Cluster node to ask"));
        }
        // Completed by hand: Lettuce's connection future does not pass exceptionallyCompose's result on.
        CompletableFuture<RedisURI> owner = new CompletableFuture<>();
        ask(nodes.get(index)).whenComplete((found, failure) -> {
            if (failure == null) {
                owner.complete(found);
            } else {
                askInTurn(nodes, index + 1, failure).whenComplete((next, again) -> {
                    if (again == null) {
                        owner.complete(next);
                    } else {
                        owner.completeExceptionally(again);
                    }
                });
            }
        });
        return owner;
    }

    int slot() {
        return slot;
    }

    private CompletionStage<RedisURI> ask(RedisURI node) {
        return client.connectAsync(StringCodec.UTF8, node).thenCompose(connection -> connection.async().clusterSlots()
                .thenApply(this::owner)
                .whenComplete((owner, failure) -> connection.closeAsync()));
    }

    private RedisURI owner(List<Object> slots) {
        List<ClusterSlotRange> ranges = ClusterSlotsParser.parse(slots);
        List<RedisURI> nodes = new ArrayList<>();
        for (ClusterSlotRange range : ranges) {
            if (range.getUpstream() != null) {
                nodes.add(like(range.getUpstream().getUri()));
            }
            for (RedisClusterNode replica : range.getReplicaNodes()) {
                nodes.add(like(replica.getUri()));
            }
        }
        if (!nodes.isEmpty()) {
            lastTopology = List.copyOf(nodes);
        }
        for (ClusterSlotRange range : ranges) {
            if (range.getFrom() <= slot && slot <= range.getTo() && range.getUpstream() != null) {
                return like(range.getUpstream().getUri());
            }
        }
        // A Redis problem, so callers answer 503 and readiness stays down until the cluster serves the slot.
        throw new RedisConnectionException("no Redis Cluster primary serves slot " + slot + " of the key prefix");
    }

    /** A node of the answer, with the first seed's credentials, TLS and timeout. */
    private RedisURI like(RedisURI node) {
        return RedisURI.builder(seeds.get(0)).withHost(node.getHost()).withPort(node.getPort()).build();
    }

    private static String address(RedisURI node) {
        return node.getHost() + ":" + node.getPort();
    }

    static boolean sameNode(RedisURI a, RedisURI b) {
        return a.getHost().equals(b.getHost()) && a.getPort() == b.getPort();
    }

    /** Redis' rule: the first '{' and the next '}' after it, with something in between. */
    static boolean hasHashTag(String key) {
        int open = key.indexOf('{');
        return open >= 0 && key.indexOf('}', open + 1) > open + 1;
    }
}
