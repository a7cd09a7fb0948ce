package be.audiencematch.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.slots.ClusterSlotRange;
import io.lettuce.core.cluster.models.slots.ClusterSlotsParser;
import io.lettuce.core.codec.StringCodec;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * On Redis Cluster, every key of the service carries one hash tag (the key prefix, e.g. {@code {am}:}), so all of
 * them live in one slot: the scripts AND bitmaps of consents, segments and audiences and write several keys
 * atomically, which Redis Cluster allows only within a slot. This finds the primary that serves that slot (asking
 * the configured node, or the last known owner when that one is gone); the service then talks to it as to a
 * standalone Redis. Credentials, TLS and timeouts are the configured URL's.
 */
final class ClusterSlotOwner {

    private final RedisClient client;
    private final RedisURI seed;
    private final int slot;

    ClusterSlotOwner(RedisClient client, RedisURI seed, String keyPrefix) {
        if (!hasHashTag(keyPrefix)) {
            throw new IllegalStateException("on Redis Cluster the key prefix must carry a hash tag so that every key "
                    + "shares one slot, e.g. {am}: (set AUDIENCE_MATCH_REDIS_KEY_PREFIX)");
        }
        this.client = client;
        this.seed = seed;
        this.slot = SlotHash.getSlot(keyPrefix);
    }

    /** The primary serving the prefix's slot, asked of the configured node, else of {@code lastKnown}. */
    CompletionStage<RedisURI> find(RedisURI lastKnown) {
        // Completed by hand: Lettuce's connection future does not pass exceptionallyCompose's result on.
        CompletableFuture<RedisURI> owner = new CompletableFuture<>();
        ask(seed).whenComplete((fromSeed, failure) -> {
            if (failure == null) {
                owner.complete(fromSeed);
            } else if (lastKnown == null) {
                owner.completeExceptionally(failure);
            } else {
                ask(lastKnown).whenComplete((fromLast, again) -> {
                    if (again == null) {
                        owner.complete(fromLast);
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
        for (ClusterSlotRange range : ClusterSlotsParser.parse(slots)) {
            if (range.getFrom() <= slot && slot <= range.getTo() && range.getUpstream() != null) {
                RedisURI node = range.getUpstream().getUri();
                return RedisURI.builder(seed).withHost(node.getHost()).withPort(node.getPort()).build();
            }
        }
        // A Redis problem, so callers answer 503 and readiness stays down until the cluster serves the slot.
        throw new RedisConnectionException("no Redis Cluster primary serves slot " + slot + " of the key prefix");
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
