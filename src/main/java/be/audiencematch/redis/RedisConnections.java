package be.audiencematch.redis;

import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.kernel.RedisUrls;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.SlotHash;
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
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Owns the Lettuce client. One shared, auto-pipelining connection per node serves the request paths, with one per
 * event loop once found (NodeConnections); bulk jobs open a dedicated connection with manual flushing. Connections are
 * made lazily and made again after a failure, so the service starts (not ready) while Redis is down and recovers by
 * itself. Every call names its hash slot (the key prefix's unless it says otherwise) and goes to the node serving it:
 * on a standalone Redis the configured one, on a cluster the slot's primary (ClusterTopology), followed when it moves.
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
    /** The global keys' slot (KeySpace): the key prefix's on a cluster, 0 on a standalone Redis. */
    private final int homeSlot;
    /**
     * The connections serving each slot in use: on a standalone Redis every slot is served by the configured node; on
     * a cluster by the slot's primary, found on first use and again when the topology says it moved.
     */
    private final AtomicReferenceArray<NodeConnections> bySlot = new AtomicReferenceArray<>(SlotHash.SLOT_COUNT);
    /** One set of connections per node in use (host:port). */
    private final Map<String, NodeConnections> nodes = new ConcurrentHashMap<>();
    private final AtomicBoolean checkingTopology = new AtomicBoolean();
    private static final long TOPOLOGY_CHECK_MILLIS = 5_000;
    private static final long FAST_TOPOLOGY_CHECK_MILLIS = 500;
    private static final long FAST_TOPOLOGY_WINDOW_NANOS = 30_000_000_000L;
    private volatile long lastTopologyCheck = System.nanoTime();
    /** Until when the topology is checked at the fast rate: set by a lost connection (System.nanoTime()). */
    private volatile long fastTopologyChecksUntil = System.nanoTime();
    /** The subscription to Lettuce's connection events on a cluster; null on a standalone Redis. */
    private final Disposable disconnects;

    public RedisConnections(AudienceMatchConfig.Redis settings, RedisTransport transport, Vertx vertx, KeySpace keys) {
        Duration timeout = settings.timeout();
        Duration bulkTimeout = settings.bulkTimeout();
        String keyPrefix = keys.global().prefix();
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
                    .filter(event -> event instanceof DisconnectedEvent lost && fromNodeInUse(lost))
                    .subscribe(event -> fastTopologyChecksUntil = System.nanoTime() + FAST_TOPOLOGY_WINDOW_NANOS);
        } else {
            this.topologyTimer = -1;
            this.disconnects = null;
            this.topology = null;
        }
        this.homeSlot = keys.global().slot();
    }

    /**
     * Whether a lost connection was one to a primary in use: the topology reading's own connections, closed after
     * each reading, must not keep the fast rate going.
     */
    private boolean fromNodeInUse(DisconnectedEvent event) {
        if (!(event.remoteAddress() instanceof java.net.InetSocketAddress address)) {
            return false;
        }
        for (NodeConnections node : nodes.values()) {
            RedisURI known = node.node();
            if (address.getPort() == known.getPort() && (known.getHost().equals(address.getHostString())
                    || address.getAddress() != null && known.getHost().equals(address.getAddress().getHostAddress()))) {
                return true;
            }
        }
        return false;
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

    /** The connections serving {@code slot}: on a cluster, its primary's, found on first use. */
    private CompletionStage<NodeConnections> node(int slot) {
        NodeConnections known = bySlot.get(slot);
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        if (topology == null) {
            return CompletableFuture.completedFuture(serving(slot, configured));
        }
        return topology.refresh().thenApply(ignored -> {
            NodeConnections found = bySlot.get(slot);
            if (found == null) {
                RedisURI owner = topology.primaryOf(slot);
                LOG.infof("Redis Cluster: slot %d is served by %s:%d", slot, owner.getHost(), owner.getPort());
                found = serving(slot, owner);
            }
            return found;
        });
    }

    /** Makes {@code owner}'s connections the ones of {@code slot} (kept if another slot already uses them). */
    private NodeConnections serving(int slot, RedisURI owner) {
        NodeConnections node = nodes.computeIfAbsent(owner.getHost() + ":" + owner.getPort(),
                address -> new NodeConnections(client, owner));
        return bySlot.compareAndSet(slot, null, node) ? node : bySlot.get(slot);
    }

    /** A connection of the caller's own to the node serving {@code slot}, flushed when the caller says so. */
    private CompletionStage<StatefulRedisConnection<byte[], byte[]>> manuallyFlushed(RedisClient from, int slot) {
        return node(slot).thenCompose(node -> NodeConnections.connect(from, node.node())).thenApply(c -> {
            c.setAutoFlushCommands(false);
            return c;
        });
    }

    /**
     * Reads the topology again and moves every slot in use whose primary changed (a failover, a resharding) to its
     * new primary's connections; a node that serves none of our slots any more has its connections closed.
     */
    private void checkTopology() {
        if (!checkingTopology.compareAndSet(false, true)) {
            return;
        }
        topology.refresh().whenComplete((ignored, failure) -> {
            checkingTopology.set(false);
            if (failure != null) {
                LOG.warnf("Redis Cluster: cannot read the topology (%s)", unwrap(failure).toString());
                return;
            }
            boolean moved = false;
            for (int slot = 0; slot < SlotHash.SLOT_COUNT; slot++) {
                NodeConnections current = bySlot.get(slot);
                if (current == null) {
                    continue;
                }
                RedisURI owner;
                try {
                    owner = topology.primaryOf(slot);
                } catch (RuntimeException none) {
                    continue;   // no primary serves it right now: callers get 503 until one does
                }
                if (!current.reaches(owner)) {
                    LOG.infof("Redis Cluster: slot %d moved to %s:%d; reconnecting", slot, owner.getHost(),
                            owner.getPort());
                    bySlot.set(slot, null);
                    serving(slot, owner);
                    moved = true;
                }
            }
            if (moved) {
                fastTopologyChecksUntil = System.nanoTime();
                closeUnused();
            }
        });
    }

    /** Closes the connections of nodes that serve none of the slots in use. */
    private void closeUnused() {
        java.util.Set<NodeConnections> used = new java.util.HashSet<>();
        for (int slot = 0; slot < SlotHash.SLOT_COUNT; slot++) {
            NodeConnections node = bySlot.get(slot);
            if (node != null) {
                used.add(node);
            }
        }
        nodes.values().removeIf(node -> {
            if (used.contains(node)) {
                return false;
            }
            node.close(false);
            return true;
        });
    }

    /**
     * Runs {@code work} on a shared connection; the result is delivered back on the caller's Vert.x context. On an
     * event loop that owns a connection of its own, that one is used: the command is written and its answer read on
     * the very thread that serves the request.
     */
    public <T> Uni<T> withShared(Function<RedisAsyncCommands<byte[], byte[]>, CompletionStage<T>> work) {
        return withShared(homeSlot, work);
    }

    /**
     * {@code work} once for each of {@code where}, on the primary serving its slot, all sent at once: a read fanned
     * out over shards (docs/scaling.md, "Reads"). The answers come in the order of {@code where}; the first failure
     * fails the whole.
     */
    public <T> Uni<List<T>> onEach(List<KeySpace.Keys> where,
            BiFunction<KeySpace.Keys, RedisAsyncCommands<byte[], byte[]>, CompletionStage<T>> work) {
        List<Uni<T>> parts = new java.util.ArrayList<>(where.size());
        for (KeySpace.Keys keys : where) {
            parts.add(withShared(keys.slot(), r -> work.apply(keys, r)));
        }
        return Uni.join().all(parts).andFailFast();
    }

    /** {@link #withShared(Function)} on the primary serving {@code slot} (every key {@code work} names is in it). */
    public <T> Uni<T> withShared(int slot, Function<RedisAsyncCommands<byte[], byte[]>, CompletionStage<T>> work) {
        Context context = Vertx.currentContext();
        if (context == null) {
            return Uni.createFrom().completionStage(() -> shared(slot).thenCompose(c -> work.apply(c.async())))
                    .onFailure().transform(f -> noticed(unwrap(f)));
        }
        NodeConnections node = bySlot.get(slot);
        StatefulRedisConnection<byte[], byte[]> own =
                node != null && Context.isOnEventLoopThread() ? node.onThisLoop() : null;
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
        return Uni.createFrom().completionStage(() -> shared(slot).thenCompose(c -> work.apply(c.async())))
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

    /** The shared connection of the home slot's node, connecting on first use or after a failed attempt. */
    public CompletableFuture<StatefulRedisConnection<byte[], byte[]>> shared() {
        return shared(homeSlot);
    }

    private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> shared(int slot) {
        return node(slot).thenCompose(NodeConnections::shared).toCompletableFuture();
    }

    /**
     * A connection of the caller's own, for bulk work: commands are queued and sent when the caller flushes, so a
     * batch of thousands goes out in a few writes. The caller closes it.
     */
    public CompletionStage<StatefulRedisConnection<byte[], byte[]>> dedicated() {
        return manuallyFlushed(client, homeSlot);
    }

    /** Like {@link #dedicated()}, to the primary serving {@code slot} (a shard's change stream, its replica wait). */
    public CompletionStage<StatefulRedisConnection<byte[], byte[]>> dedicated(int slot) {
        return manuallyFlushed(client, slot);
    }

    /**
     * Like {@link #dedicated()}, for a bulk load or a list upload, whose commands wait behind a whole pipeline of
     * their own: a command's timeout counts from when it is queued, and at 10M subscribers a chunk's calls queue
     * behind seconds of Redis work (audience-match.redis.bulk-timeout, 60 s by default, rather than 5).
     */
    public CompletionStage<StatefulRedisConnection<byte[], byte[]>> bulk() {
        return manuallyFlushed(bulkClient, homeSlot);
    }

    /**
     * Like {@link #bulk()}, one for each of {@code where}, on the primary serving its slot; shards served by one
     * primary share one connection (the list may name a connection several times: close each once). For the
     * look-ups of a list upload over a base of several shards (consent/IdentifierLookup).
     */
    public CompletionStage<List<StatefulRedisConnection<byte[], byte[]>>> bulkEach(List<KeySpace.Keys> where) {
        List<CompletableFuture<NodeConnections>> nodes = new java.util.ArrayList<>();
        for (KeySpace.Keys keys : where) {
            nodes.add(node(keys.slot()).toCompletableFuture());
        }
        return CompletableFuture.allOf(nodes.toArray(CompletableFuture[]::new)).thenCompose(found -> {
            Map<NodeConnections, CompletableFuture<StatefulRedisConnection<byte[], byte[]>>> opened =
                    new java.util.IdentityHashMap<>();
            List<CompletableFuture<StatefulRedisConnection<byte[], byte[]>>> each = new java.util.ArrayList<>();
            for (CompletableFuture<NodeConnections> node : nodes) {
                each.add(opened.computeIfAbsent(node.join(), n -> NodeConnections.connect(bulkClient, n.node())
                        .thenApply(c -> {
                            c.setAutoFlushCommands(false);
                            return c;
                        }).toCompletableFuture()));
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                    .thenApply(all -> each.stream().map(CompletableFuture::join).toList());
        });
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
        nodes.values().forEach(node -> node.close(true));
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
