package be.audiencematch.redis;

import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.RedisUrls;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.event.connection.DisconnectedEvent;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import reactor.core.Disposable;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Owns the Lettuce client. One shared, auto-pipelining connection serves the request paths; bulk jobs open a
 * dedicated connection with manual flushing. The shared connection is made lazily and made again after a failure,
 * so the service starts (not ready) while Redis is down and recovers by itself.
 */
@ApplicationScoped
public class RedisConnections {

    private static final Logger LOG = Logger.getLogger(RedisConnections.class);

    private final ClientResources resources;
    private final Vertx vertx;
    /** The cluster topology check's timer; -1 on a standalone Redis. */
    private final long topologyTimer;
    private final RedisClient client;
    /** For bulk loads and list uploads: the same, with a longer command timeout (bulk()). */
    private final RedisClient bulkClient;
    private final RedisURI configured;
    /** On Redis Cluster: which primary serves the key prefix's slot; null on a standalone Redis. */
    private final ClusterTopology topology;
    /** The node every connection goes to: the configured one, or on a cluster the slot's primary once found. */
    private volatile RedisURI target;
    private final AtomicBoolean checkingTopology = new AtomicBoolean();
    private static final long TOPOLOGY_CHECK_MILLIS = 5_000;
    private static final long FAST_TOPOLOGY_CHECK_MILLIS = 500;
    private static final long FAST_TOPOLOGY_WINDOW_NANOS = 30_000_000_000L;
    private volatile long lastTopologyCheck = System.nanoTime();
    /** Until when the topology is checked at the fast rate: set by a lost connection (System.nanoTime()). */
    private volatile long fastTopologyChecksUntil = System.nanoTime();
    /** The subscription to Lettuce's connection events on a cluster; null on a standalone Redis. */
    private final Disposable disconnects;
    /** Counts topology changes, so a connection opened to the old primary during one is not kept. */
    private volatile int topologyGeneration;
    private final AtomicReference<CompletableFuture<StatefulRedisConnection<byte[], byte[]>>> shared =
            new AtomicReference<>();
    /** One connection per Vert.x event loop, once found (see growAffinity). */
    private final Map<Thread, StatefulRedisConnection<byte[], byte[]>> byLoop = new ConcurrentHashMap<>();
    private final AtomicInteger affinityConnections = new AtomicInteger();
    private static final int MAX_AFFINITY_CONNECTIONS = 32;
    private static final long AFFINITY_RETRY_NANOS = 1_000_000_000L;
    private volatile long lastAffinityFailure = System.nanoTime() - AFFINITY_RETRY_NANOS;

    public RedisConnections(AudienceMatchConfig.Redis settings, RedisTransport transport, Vertx vertx) {
        Duration timeout = settings.timeout();
        Duration bulkTimeout = settings.bulkTimeout();
        String keyPrefix = settings.keyPrefix();
        boolean cluster = settings.cluster();
        String url = settings.url();
        List<RedisURI> seeds = cluster ? RedisUrls.seeds(url, timeout) : List.of(RedisURI.create(url));
        this.configured = seeds.get(0);
        this.configured.setTimeout(timeout);
        this.vertx = vertx;
        this.resources = ClientResources.builder()
                .eventLoopGroupProvider(new VertxEventLoops(vertx))
                // Lettuce records every command's latency in HdrHistograms when they are on the class path (they are,
                // for Micrometer); nobody reads them here, and on the hot path each answer would pay for it.
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .build();
        this.client = RedisClient.create(resources);
        // Every connection (shared, per event loop, dedicated, bulk, the cluster topology's) has these options, so all
        // of them use the same TLS settings.
        this.client.setOptions(options(timeout, transport));
        this.bulkClient = RedisClient.create(resources);
        this.bulkClient.setOptions(options(bulkTimeout, transport));
        if (cluster) {
            this.topology = new ClusterTopology(resources, options(timeout, transport), seeds, keyPrefix);
            // A failover or a resharding moves the slot: read the topology every few seconds, and twice a second
            // while a connection was lost or a command met MOVED or ASK lately (the promoted replica takes over a few
            // seconds after its primary died); reconnect when the slot moved. Meanwhile commands fail (MOVED, or the
            // old node is gone) and callers get 503 with Retry-After.
            this.topologyTimer = vertx.setPeriodic(FAST_TOPOLOGY_CHECK_MILLIS, id -> {
                long now = System.nanoTime();
                if (now - fastTopologyChecksUntil < 0 || now - lastTopologyCheck >= TOPOLOGY_CHECK_MILLIS * 1_000_000L) {
                    lastTopologyCheck = now;
                    checkTopology();
                }
            });
            this.disconnects = resources.eventBus().get()
                    .filter(event -> event instanceof DisconnectedEvent lost && fromTarget(lost))
                    .subscribe(event -> fastTopologyChecksUntil = System.nanoTime() + FAST_TOPOLOGY_WINDOW_NANOS);
        } else {
            this.topologyTimer = -1;
            this.disconnects = null;
            this.topology = null;
            this.target = configured;
        }
    }

    /**
     * Whether a lost connection was one to the primary in use: the topology reading's own connections, closed after
     * each reading, must not keep the fast rate going.
     */
    private boolean fromTarget(DisconnectedEvent event) {
        RedisURI known = target;
        return known != null && event.remoteAddress() instanceof java.net.InetSocketAddress address
                && address.getPort() == known.getPort()
                && (known.getHost().equals(address.getHostString()) || address.getAddress() != null
                        && known.getHost().equals(address.getAddress().getHostAddress()));
    }

    private static ClientOptions options(Duration timeout, RedisTransport transport) {
        return ClientOptions.builder()
                .sslOptions(transport.sslOptions())
                .autoReconnect(true)
                // Fail fast while disconnected: the caller gets a 503 instead of a request that hangs.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .build();
    }

    /** The node to connect to; on a cluster found on first use (and again after it moved). */
    private CompletionStage<RedisURI> target() {
        RedisURI known = target;
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        return topology.primary().thenApply(owner -> {
            if (target == null) {
                LOG.infof("Redis Cluster: slot %d of the key prefix is served by %s:%d", topology.slot(),
                        owner.getHost(), owner.getPort());
                target = owner;
            }
            return target;
        });
    }

    private CompletionStage<StatefulRedisConnection<byte[], byte[]>> connect() {
        return connect(client);
    }

    private CompletionStage<StatefulRedisConnection<byte[], byte[]>> connect(RedisClient from) {
        return target().thenCompose(node -> from.connectAsync(ByteArrayCodec.INSTANCE, node))
                // A refused connection comes as Netty's ConnectException (checked, not Lettuce's): made a Redis
                // failure here, so that every caller answers it as one (503 with Retry-After), never as a 500.
                .exceptionallyCompose(failure -> {
                    Throwable cause = unwrap(failure);
                    return CompletableFuture.failedFuture(cause instanceof io.lettuce.core.RedisException ? cause
                            : new io.lettuce.core.RedisConnectionException("cannot connect to Redis", cause));
                });
    }

    /** A connection of the caller's own, flushed when the caller says so. */
    private CompletionStage<StatefulRedisConnection<byte[], byte[]>> manuallyFlushed(RedisClient from) {
        return connect(from).thenApply(c -> {
            c.setAutoFlushCommands(false);
            return c;
        });
    }

    private void checkTopology() {
        RedisURI known = target;
        if (known == null || !checkingTopology.compareAndSet(false, true)) {
            return;
        }
        topology.primary().whenComplete((owner, failure) -> {
            checkingTopology.set(false);
            if (failure != null) {
                LOG.warnf("Redis Cluster: cannot read the topology (%s)", unwrap(failure).toString());
                return;
            }
            if (!ClusterTopology.sameNode(owner, known)) {
                LOG.infof("Redis Cluster: slot %d moved to %s:%d; reconnecting", topology.slot(), owner.getHost(),
                        owner.getPort());
                target = owner;
                fastTopologyChecksUntil = System.nanoTime();
                dropConnections();
            }
        });
    }

    /** Closes the connections to the old node; the next request opens new ones to the current target. */
    private void dropConnections() {
        topologyGeneration++;
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> old = shared.getAndSet(null);
        if (old != null) {
            old.thenAccept(StatefulRedisConnection::closeAsync);
        }
        for (Thread loop : byLoop.keySet()) {
            StatefulRedisConnection<byte[], byte[]> c = byLoop.remove(loop);
            if (c != null) {
                c.closeAsync();
            }
        }
        affinityConnections.set(0);
    }

    /**
     * Runs {@code work} on a shared connection; the result is delivered back on the caller's Vert.x context. On an
     * event loop that owns a connection of its own, that one is used: the command is written and its answer read on
     * the very thread that serves the request.
     */
    public <T> Uni<T> withShared(Function<RedisAsyncCommands<byte[], byte[]>, CompletionStage<T>> work) {
        Context context = Vertx.currentContext();
        if (context == null) {
            return Uni.createFrom().completionStage(() -> shared().thenCompose(c -> work.apply(c.async())))
                    .onFailure().transform(f -> noticed(unwrap(f)));
        }
        StatefulRedisConnection<byte[], byte[]> local = null;
        if (Context.isOnEventLoopThread()) {
            local = byLoop.get(Thread.currentThread());
            if (local == null) {
                growAffinity();
            }
        }
        StatefulRedisConnection<byte[], byte[]> own = local != null && local.isOpen() ? local : null;
        if (own != null) {
            // The answer is read on this very thread: hand it over at once, not through another task (the hot path).
            Thread loop = Thread.currentThread();
            return Uni.createFrom().emitter(emitter -> work.apply(own.async()).whenComplete((value, failure) -> {
                Runnable deliver = () -> {
                    if (failure != null) {
                        emitter.fail(noticed(unwrap(failure)));
                    } else {
                        emitter.complete(value);
                    }
                };
                if (Thread.currentThread() == loop) {
                    deliver.run();
                } else {
                    context.runOnContext(ignored -> deliver.run());
                }
            }));
        }
        return Uni.createFrom().completionStage(() -> shared().thenCompose(c -> work.apply(c.async())))
                .onFailure().transform(f -> noticed(unwrap(f)))
                .emitOn(command -> context.runOnContext(ignored -> command.run()));
    }

    /**
     * A MOVED or ASK answer says the slot is served elsewhere now (a resharding, a failover): the topology is then
     * read at the fast rate for a while, as after a lost connection (Lettuce's adaptive refresh triggers, for the
     * service's own connections).
     */
    private Throwable noticed(Throwable failure) {
        String message = failure.getMessage();
        if (topology != null && failure instanceof io.lettuce.core.RedisCommandExecutionException && message != null
                && (message.startsWith("MOVED ") || message.startsWith("ASK "))) {
            fastTopologyChecksUntil = System.nanoTime() + FAST_TOPOLOGY_WINDOW_NANOS;
        }
        return failure;
    }

    /**
     * Opens one more connection and keeps it for the event loop it landed on, if that loop has none yet (else closes
     * it). Netty picks the loop; the thread that completes a PING tells which. Attempts are bounded in all, so a
     * loop that never gets one, or a failing Redis, costs little; worker threads never try.
     */
    private void growAffinity() {
        if (System.nanoTime() - lastAffinityFailure < AFFINITY_RETRY_NANOS
                || affinityConnections.incrementAndGet() > MAX_AFFINITY_CONNECTIONS) {
            return;
        }
        int generation = topologyGeneration;
        connect().thenCompose(c -> c.async().ping().thenApply(pong -> {
            if (generation != topologyGeneration || byLoop.putIfAbsent(Thread.currentThread(), c) != null) {
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
    public CompletableFuture<StatefulRedisConnection<byte[], byte[]>> shared() {
        while (true) {
            CompletableFuture<StatefulRedisConnection<byte[], byte[]>> current = shared.get();
            if (current != null && !(current.isCompletedExceptionally())) {
                return current;
            }
            CompletableFuture<StatefulRedisConnection<byte[], byte[]>> attempt = new CompletableFuture<>();
            if (shared.compareAndSet(current, attempt)) {
                connect().whenComplete((connection, failure) -> {
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

    /**
     * A connection of the caller's own, for bulk work: commands are queued and sent when the caller flushes, so a
     * batch of thousands goes out in a few writes. The caller closes it.
     */
    public CompletionStage<StatefulRedisConnection<byte[], byte[]>> dedicated() {
        return manuallyFlushed(client);
    }

    /**
     * Like {@link #dedicated()}, for a bulk load or a list upload, whose commands wait behind a whole pipeline of
     * their own: a command's timeout counts from when it is queued, and at 10M subscribers a chunk's calls queue
     * behind seconds of Redis work (audience-match.redis.bulk-timeout, 60 s by default, rather than 5).
     */
    public CompletionStage<StatefulRedisConnection<byte[], byte[]>> bulk() {
        return manuallyFlushed(bulkClient);
    }

    /**
     * Waits for a Redis result on a worker thread (the streaming uploads); unwraps failures so that the problem
     * mappers see Lettuce's own exceptions. Never call it on an event loop: the answer is read there.
     */
    public static <T> T awaitOnWorker(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e.getCause());
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(cause);
        }
    }

    /**
     * Lettuce's own exception inside a CompletionException, so the problem mappers see what Redis said. A checked
     * exception (an I/O error Netty hands to the pending commands when a connection breaks mid-command) is a Redis
     * failure too: made Lettuce's connection exception, so that it answers 503 with Retry-After, never 500.
     */
    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure;
        return cause instanceof RuntimeException || cause instanceof Error ? cause
                : new io.lettuce.core.RedisConnectionException("the connection to Redis failed", cause);
    }

    @PreDestroy
    void close() {
        byLoop.values().forEach(StatefulRedisConnection::close);
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> current = shared.get();
        if (current != null && current.isDone() && !current.isCompletedExceptionally()) {
            current.join().close();
        }
        if (topologyTimer >= 0) {
            vertx.cancelTimer(topologyTimer);
        }
        if (disconnects != null) {
            disconnects.dispose();
        }
        if (topology != null) {
            topology.shutdown();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        bulkClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        // The clients leave shared resources running; their executors still hold the connect timeouts of connections
        // opened just before, which would fire on stopped event loops (logged as errors) if left to run.
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
