package be.audiencematch.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The request paths' connections to one Redis node (a standalone Redis, or one primary of a cluster): one shared,
 * auto-pipelining connection, made lazily and made again after a failure, and one connection per Vert.x event loop
 * once found, so that a command from an event loop is written and its answer read on that very thread
 * (docs/architecture.md, "Non-blocking"). Closed when the node no longer serves any slot the service uses.
 */
final class NodeConnections {

    private static final Logger LOG = Logger.getLogger(NodeConnections.class);
    private static final int MAX_AFFINITY_CONNECTIONS = 32;
    private static final long AFFINITY_RETRY_NANOS = 1_000_000_000L;

    private final RedisClient client;
    private final RedisURI node;
    private final AtomicReference<CompletableFuture<StatefulRedisConnection<byte[], byte[]>>> shared =
            new AtomicReference<>();
    private final Map<Thread, StatefulRedisConnection<byte[], byte[]>> byLoop = new ConcurrentHashMap<>();
    private final AtomicInteger affinityConnections = new AtomicInteger();
    private volatile long lastAffinityFailure = System.nanoTime() - AFFINITY_RETRY_NANOS;
    private volatile boolean closed;

    NodeConnections(RedisClient client, RedisURI node) {
        this.client = client;
        this.node = node;
    }

    RedisURI node() {
        return node;
    }

    /** Whether these are connections to {@code other}'s host and port. */
    boolean reaches(RedisURI other) {
        return node.getHost().equals(other.getHost()) && node.getPort() == other.getPort();
    }

    /** A new connection to the node, with a refused connection made a Redis failure (503, never 500). */
    static CompletionStage<StatefulRedisConnection<byte[], byte[]>> connect(RedisClient from, RedisURI node) {
        // A refused connection comes as Netty's ConnectException (checked, not Lettuce's): made a Redis failure here,
        // so that every caller answers it as one (503 with Retry-After), never as a 500.
        // Composed from a plain future: Lettuce's ConnectionFuture does not pass exceptionallyCompose's result on.
        return CompletableFuture.completedFuture(node)
                .thenCompose(uri -> from.connectAsync(ByteArrayCodec.INSTANCE, uri))
                .exceptionallyCompose(failure -> {
                    Throwable cause = failure instanceof CompletionException c && c.getCause() != null
                            ? c.getCause() : failure;
                    return CompletableFuture.failedFuture(cause instanceof io.lettuce.core.RedisException ? cause
                            : new io.lettuce.core.RedisConnectionException("cannot connect to Redis", cause));
                });
    }

    /**
     * This event loop's own open connection, or null (then one more is opened in the background, bounded in all, and
     * the caller uses the shared one meanwhile). Worker threads never get one.
     */
    StatefulRedisConnection<byte[], byte[]> onThisLoop() {
        StatefulRedisConnection<byte[], byte[]> local = byLoop.get(Thread.currentThread());
        if (local == null) {
            growAffinity();
            return null;
        }
        return local.isOpen() ? local : null;
    }

    /**
     * Opens one more connection and keeps it for the event loop it landed on, if that loop has none yet (else closes
     * it). Netty picks the loop; the thread that completes a PING tells which. Attempts are bounded in all, so a
     * loop that never gets one, or a failing Redis, costs little.
     */
    private void growAffinity() {
        if (closed || System.nanoTime() - lastAffinityFailure < AFFINITY_RETRY_NANOS
                || affinityConnections.incrementAndGet() > MAX_AFFINITY_CONNECTIONS) {
            return;
        }
        connect(client, node).thenCompose(c -> c.async().ping().thenApply(pong -> {
            // Closed meanwhile (the node stopped serving our slots): not kept.
            if (closed || byLoop.putIfAbsent(Thread.currentThread(), c) != null) {
                c.closeAsync();
            }
            return pong;
        })).whenComplete((pong, failure) -> {
            if (failure != null) {
                // Redis is down: try again later, at most once a second, instead of once per request.
                lastAffinityFailure = System.nanoTime();
                affinityConnections.decrementAndGet();
            }
        });
    }

    /** The shared connection, connecting on first use or after the previous attempt failed. */
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> shared() {
        while (true) {
            CompletableFuture<StatefulRedisConnection<byte[], byte[]>> current = shared.get();
            if (current != null && !(current.isCompletedExceptionally())) {
                return current;
            }
            CompletableFuture<StatefulRedisConnection<byte[], byte[]>> attempt = new CompletableFuture<>();
            if (shared.compareAndSet(current, attempt)) {
                connect(client, node).whenComplete((connection, failure) -> {
                    if (failure != null) {
                        LOG.warnf("Redis is unreachable (%s); requests get 503 until it is back",
                                failure.getClass().getSimpleName());
                        attempt.completeExceptionally(failure);
                    } else {
                        LOG.info("connected to Redis");
                        attempt.complete(connection);
                    }
                });
                return attempt;
            }
        }
    }

    /** Closes every connection, at once (the node no longer serves our slots) or in the background. */
    void close(boolean waiting) {
        closed = true;
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> current = shared.getAndSet(null);
        if (current != null) {
            if (waiting && current.isDone() && !current.isCompletedExceptionally()) {
                current.join().close();
            } else {
                current.thenAccept(StatefulRedisConnection::closeAsync);
            }
        }
        for (Thread loop : byLoop.keySet()) {
            StatefulRedisConnection<byte[], byte[]> c = byLoop.remove(loop);
            if (c != null) {
                if (waiting) {
                    c.close();
                } else {
                    c.closeAsync();
                }
            }
        }
    }
}
