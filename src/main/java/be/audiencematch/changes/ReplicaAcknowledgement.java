package be.audiencematch.changes;

import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.RedisConnections;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Holds a write's acknowledgement until Redis replicas have it too (Redis {@code WAIT}), so that a primary that dies
 * right after a 2xx cannot take an acknowledged withdrawal or erasure with it (docs/architecture.md, "Durable
 * acknowledgement").
 * <p>
 * {@code WAIT} covers the writes sent on the connection it is sent on, and blocks that connection while it waits.
 * Writes travel on the per-event-loop connections, the shared one and the bulk ones, and those must never block.
 * So the wait runs on a connection of its own: it first writes a counter ({@code {p}durable}), which Redis
 * replicates after every write already answered, whatever connection carried it, then {@code WAIT}s for that.
 * One wait is in flight at a time; writers that arrive meanwhile share the next one (a group commit).
 */
final class ReplicaAcknowledgement {

    private static final Logger LOG = Logger.getLogger(ReplicaAcknowledgement.class);
    private static final Pattern ONLINE_REPLICA = Pattern.compile("(?m)^slave\\d+:.*state=online");

    private final RedisConnections redis;
    private final int wanted;
    private final long timeoutMillis;
    private final byte[] mark;
    private final int slot;
    /** Writers whose writes are answered and who wait for the next round. */
    private List<CompletableFuture<Void>> next = new ArrayList<>();
    private boolean running;
    private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connection;

    ReplicaAcknowledgement(RedisConnections redis, AudienceMatchConfig.Redis.Wait settings, byte[] mark, int slot) {
        this.redis = redis;
        this.slot = slot;
        this.wanted = Math.max(0, settings.replicas());
        this.timeoutMillis = Math.max(1, settings.timeout().toMillis());
        this.mark = mark;
    }

    /**
     * Completes once as many replicas as configured (at most as many as are online) hold every write answered before
     * this call; fails with 503 when they do not within the timeout. The result comes back on the caller's context.
     */
    Uni<Void> replicated() {
        if (wanted == 0) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().deferred(() -> {
            Context context = Vertx.currentContext();
            Uni<Void> waited = Uni.createFrom().completionStage(this::enqueue);
            return context == null ? waited : waited.emitOn(command -> context.runOnContext(ignored -> command.run()));
        });
    }

    private CompletableFuture<Void> enqueue() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        boolean start;
        synchronized (this) {
            next.add(done);
            start = !running;
            running = true;
        }
        if (start) {
            round();
        }
        return done;
    }

    /** One INFO, counter write and WAIT for every writer queued so far; then the next round if any queued meanwhile. */
    private void round() {
        List<CompletableFuture<Void>> batch;
        synchronized (this) {
            batch = next;
            if (batch.isEmpty()) {
                running = false;
                return;
            }
            next = new ArrayList<>();
        }
        CompletionStage<Void> waited;
        try {
            waited = connection().thenCompose(c -> waitOnce(c.async()));
        } catch (RuntimeException failure) {
            waited = CompletableFuture.failedFuture(failure);
        }
        waited.whenComplete((ignored, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                        ? c.getCause() : failure;
                if (!(cause instanceof ProblemException)) {
                    // The connection may be gone or point at a node that no longer serves the keys: open a new one.
                    dropConnection();
                }
                batch.forEach(f -> f.completeExceptionally(cause));
            } else {
                batch.forEach(f -> f.complete(null));
            }
            round();
        });
    }

    private CompletionStage<Void> waitOnce(RedisAsyncCommands<byte[], byte[]> r) {
        return r.info("replication").thenCompose(info -> {
            if (!info.contains("role:master")) {
                // This connection outlived a failover (Lettuce reconnected it to the old primary, now a replica):
                // a new one goes to the node that now serves the keys.
                throw new io.lettuce.core.RedisConnectionException("the node waited on is no longer the primary");
            }
            int replicas = Math.min(wanted, onlineReplicas(info));
            if (replicas == 0) {
                // A primary without replicas (a single Redis, development): nothing to wait for; AOF is what keeps
                // the write. Where a replica is required, Redis' own min-replicas-to-write refuses the write itself.
                return CompletableFuture.completedFuture(null);
            }
            // Sent in order on this connection: the WAIT covers the counter, which replicates after every write
            // already answered on any connection.
            r.incr(mark);
            return r.waitForReplication(replicas, timeoutMillis).thenApply(acknowledged -> {
                if (acknowledged < replicas) {
                    LOG.warnf("Redis replicas holding a write: %d of %d within %d ms; the write is answered 503",
                            acknowledged, replicas, timeoutMillis);
                    throw new ProblemException(503, "Service Unavailable",
                            "the change is stored, but not enough Redis replicas confirmed it in time; send it again");
                }
                return null;
            });
        });
    }

    static int onlineReplicas(String info) {
        Matcher m = ONLINE_REPLICA.matcher(info);
        int online = 0;
        while (m.find()) {
            online++;
        }
        return online;
    }

    private synchronized CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connection() {
        if (connection == null || connection.isCompletedExceptionally()) {
            connection = redis.dedicated(slot).thenApply(c -> {
                c.setAutoFlushCommands(true);
                return c;
            }).toCompletableFuture();
        }
        return connection;
    }

    private synchronized void dropConnection() {
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> old = connection;
        connection = null;
        if (old != null) {
            old.thenAccept(StatefulRedisConnection::closeAsync);
        }
    }
}
