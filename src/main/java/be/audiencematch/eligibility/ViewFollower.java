package be.audiencematch.eligibility;

import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.campaign.EligibilityRule;
import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.changes.ChangeLog;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.RandomIds;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import static be.audiencematch.redis.Bytes.bytes;

/**
 * Keeps this replica's {@link EligibilityView} in step with the change streams and holds a lease on each: after every
 * read of a stream it confirms the change number applied there and renews that stream's lease, and it answers from
 * the view only while every lease runs and the view has caught up, on every stream, with every change made before it
 * registered. A base of one shard has one stream; a sharded base one on the global keys and one a shard, each read
 * on a connection of its own to its primary (docs/scaling.md, "Change streams and read-your-writes"). Writers wait for
 * every live lease holder's confirmation ({@link ChangeLog#settled()}), so a confirmed change is in the very next
 * answer; a replica that stops confirming stops answering from its view before writers stop waiting for it (its
 * lease ends first on its own clock), and answers from Redis meanwhile.
 */
@ApplicationScoped
public class ViewFollower {

    private static final RedisScript READ = RedisScript.load("view_read");
    private static final RedisScript ACK = RedisScript.load("view_ack");
    private static final int BATCH = 512;
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    /** The first retry after a failure; doubled while failures follow each other (Redis down), up to the most. */
    private static final long RETRY_MILLIS = 1_000;
    private static final long RETRY_MOST_MILLIS = 16_000;

    private final RedisConnections redis;
    private final ChangeLog changes;
    /** One a change stream, the global one first. */
    private final List<Tail> tails = new ArrayList<>();
    private final ViewSnapshots snapshots;
    private final ChangeApplier applier;
    private final Function<String, byte[]> householdKey;
    /** The shard of a household's list, whose stream notes its changes. */
    private final java.util.function.ToIntFunction<String> householdShard;
    private final byte[] rulesKey;
    private final boolean enabled;
    private final long leaseMillis;
    private final Vertx vertx;
    private final EligibilityView view;
    private final String replica = RandomIds.next("replica_");

    private volatile boolean stopped;
    private volatile boolean announced;
    /** Counts the starts over: what a stream's reading from an earlier start answers is dropped. */
    private volatile int generation;

    /** One change stream as this replica follows it. */
    private static final class Tail {
        final int index;
        final ChangeKeys keys;
        volatile boolean ready;
        /** System.nanoTime() until which the lease surely runs (renewal sent + 90 % of the lease). */
        volatile long leaseValidUntil;
        volatile StatefulRedisConnection<byte[], byte[]> connection;
        /** Serve only once the view has applied this much: the newest change when the lease (re)started. */
        long readyAt = Long.MAX_VALUE;
        int emptyBehind;
        /** The stream entry id of the last change applied (where the next read starts). */
        String lastEntry = "0-0";

        Tail(int index, ChangeKeys keys) {
            this.index = index;
            this.keys = keys;
        }

        boolean serving() {
            StatefulRedisConnection<byte[], byte[]> c = connection;
            return ready && System.nanoTime() - leaseValidUntil < 0 && c != null && c.isOpen();
        }
    }

    @Inject
    public ViewFollower(RedisConnections redis, ChangeLog changes, SubscriberStore base, CampaignStore campaigns,
                        Vertx vertx, MeterRegistry metrics, AudienceMatchConfig.Eligibility.View view) {
        this(redis, changes, base, campaigns, vertx, metrics, view.enabled(), view.lease(), view.maxHouseholds());
    }

    public ViewFollower(RedisConnections redis, ChangeLog changes, SubscriberStore base, CampaignStore campaigns,
                        Vertx vertx, MeterRegistry metrics, boolean enabled, Duration lease, int maxHouseholds) {
        this(redis, changes, base::householdKey, base::householdShard, campaigns.rulesKey(), vertx, metrics, enabled,
                lease, maxHouseholds);
    }

    /**
     * @param householdKey   the key of a household id's bucket
     * @param householdShard the shard holding it, whose stream notes its changes (docs/scaling.md, "Placement")
     * @param rulesKey       the campaign rules hash
     */
    public ViewFollower(RedisConnections redis, ChangeLog changes, Function<String, byte[]> householdKey,
                        java.util.function.ToIntFunction<String> householdShard, byte[] rulesKey, Vertx vertx, MeterRegistry metrics, boolean enabled, Duration lease,
                        int maxHouseholds) {
        if (lease.toMillis() < 200) {
            throw new IllegalArgumentException("audience-match.eligibility.view.lease must be at least 200ms");
        }
        this.redis = redis;
        this.changes = changes;
        List<ChangeKeys> streams = changes.streams();
        for (int i = 0; i < streams.size(); i++) {
            tails.add(new Tail(i, streams.get(i)));
        }
        this.householdShard = householdShard;
        ViewBitmapReads bitmapReads = new ViewBitmapReads(READ, vertx);
        this.householdKey = householdKey;
        this.rulesKey = rulesKey;
        this.enabled = enabled;
        this.leaseMillis = lease.toMillis();
        this.vertx = vertx;
        // A version 1 rule names shard 0's keys (campaign/CampaignRuleFormat).
        this.view = new EligibilityView(changes.keys(0).where().prefix(), maxHouseholds, streams.size());
        // A new rule's parts in a sharded base: on a shared connection to each shard's primary, since the stream's
        // own waits in XREAD.
        this.applier = new ChangeApplier(this.view, bitmapReads, READ, rulesKey, (shard, named) -> {
            ChangeKeys at = changes.keys(shard);
            return redis.withShared(at.slot(), r -> bitmapReads.read(r, at, named)).subscribeAsCompletionStage();
        });
        this.snapshots = new ViewSnapshots(streams, rulesKey, this.view, bitmapReads);
        Gauge.builder("audience_match_eligibility_view_serving", this, f -> f.serving() ? 1 : 0)
                .description("1 while this replica answers eligibility from its own view").register(metrics);
        Gauge.builder("audience_match_eligibility_view_households", view, EligibilityView::householdsKept)
                .description("households whose member lists this replica keeps").register(metrics);
        Gauge.builder("audience_match_eligibility_view_bitmap_bytes", view, EligibilityView::bitmapBytes)
                .description("bytes of heap the audience and segment bitmaps in this replica's view take")
                .register(metrics);
    }

    /**
     * True while answers may come from the view: caught up on every stream, every lease surely runs, and every stream
     * connection is up (a Redis that went away may come back empty, with no lease to hold writers for us).
     */
    public boolean serving() {
        for (Tail t : tails) {
            if (!t.serving()) {
                return false;
            }
        }
        return true;
    }

    EligibilityView view() {
        return view;
    }

    /** The household's member numbers: kept, or read (and kept when nothing newer was applied meanwhile). */
    Uni<int[]> household(String householdId) {
        int[] kept = view.household(householdId);
        if (kept != null) {
            return Uni.createFrom().item(kept);
        }
        // A household's list, and the stream that notes its changes, are its bucket's shard's.
        Tail at = tails.get(tails.size() == 1 ? 0 : 1 + householdShard.applyAsInt(householdId));
        return redis.withShared(at.keys.slot(), r -> READ.<List<Object>>run(r, ScriptOutputType.MULTI,
                new byte[][] {at.keys.seq(), householdKey.apply(householdId)}, bytes("household"),
                bytes(householdId)))
                .map(read -> {
                    int[] members = EligibilityRule.members((byte[]) read.get(1));
                    view.offerHousehold(householdId, members, at.index, (Long) read.get(0));
                    return members;
                });
    }

    void onStart(@Observes StartupEvent started) {
        if (enabled) {
            follow();
        } else {
            Log.info("eligibility view off: every answer reads Redis");
        }
    }

    void onStop(@Observes ShutdownEvent stopping) {
        stopped = true;
        // Every stream's connection is taken before any closes: a closed one ends its stream's read, and the follower
        // then closes and forgets all the others (startOver), which would leave their leases to run out.
        List<StatefulRedisConnection<byte[], byte[]>> open = new ArrayList<>();
        for (Tail t : tails) {
            t.ready = false;
            open.add(t.connection);
        }
        List<CompletableFuture<Long>> leftLeases = new ArrayList<>();
        for (Tail t : tails) {
            StatefulRedisConnection<byte[], byte[]> c = open.get(t.index);
            if (c == null) {
                continue;
            }
            // Writers need not wait for a replica that is gone: leave the lease table now rather than at lease end.
            // The stream connection closes first, so no confirmation of ours (which renews the lease) can follow;
            // the lease is dropped on another connection, as this one may be blocked in XREAD.
            leftLeases.add(c.closeAsync().thenCompose(closed -> redis.withShared(t.keys.slot(),
                    r -> r.zrem(t.keys.leases(), bytes(replica))
                            .thenCompose(n -> r.hdel(t.keys.applied(), bytes(replica))))
                    .subscribeAsCompletionStage()).exceptionally(failure -> 0L));
        }
        // Waited for (briefly, on the thread that stops the application, after requests in flight finished):
        // the process must not exit before the leases are given up (docs/operations.md, "Stopping").
        try {
            CompletableFuture.allOf(leftLeases.toArray(CompletableFuture[]::new))
                    .get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Log.warn("eligibility view: could not give up the lease; writers wait for it to end");
        }
    }

    /**
     * Connects, loads a snapshot and registers, tried again with Mutiny's exponential back-off while that fails
     * (Redis down: 1 s, doubling up to 16 s, with jitter); then follows every stream until one fails, and starts
     * over, the back-off afresh.
     */
    private void follow() {
        if (stopped) {
            return;
        }
        tails.forEach(t -> t.ready = false);
        announced = false;
        int started = ++generation;
        Uni.createFrom().completionStage(this::connectAndLoad)
                .onFailure(failure -> !stopped).invoke(failure -> Log.warnf(
                        "eligibility view: %s; answering from Redis, trying again", describe(failure)))
                .onFailure(failure -> !stopped).retry()
                .withBackOff(Duration.ofMillis(RETRY_MILLIS), Duration.ofMillis(RETRY_MOST_MILLIS)).indefinitely()
                .chain(loaded -> Uni.createFrom().completionStage(() -> tailEvery(started)))
                .subscribe().with(done -> startOver(null), this::startOver);
    }

    private CompletionStage<Void> connectAndLoad() {
        List<CompletableFuture<Void>> connected = new ArrayList<>();
        for (Tail t : tails) {
            connected.add(redis.dedicated(t.keys.slot()).thenAccept(c -> {
                c.setAutoFlushCommands(true);
                t.connection = c;
            }).toCompletableFuture());
        }
        return CompletableFuture.allOf(connected.toArray(CompletableFuture[]::new))
                .thenCompose(all -> load())
                .whenComplete((loaded, failure) -> {
                    if (failure != null) {
                        closeConnections();
                    }
                });
    }

    private void closeConnections() {
        for (Tail t : tails) {
            t.ready = false;
            StatefulRedisConnection<byte[], byte[]> c = t.connection;
            t.connection = null;
            if (c != null && c.isOpen()) {
                c.closeAsync();
            }
        }
    }

    /** A stream failed (or stopped): answers come from Redis until a new snapshot is loaded. */
    private void startOver(Throwable failure) {
        closeConnections();
        if (!stopped) {
            Log.warnf("eligibility view: %s; answering from Redis, starting over in %d ms",
                    failure == null ? "stopped" : describe(failure), RETRY_MILLIS);
            vertx.setTimer(RETRY_MILLIS, id -> follow());
        }
    }

    /** Every stream's snapshot, put into the view; then a confirmation on every stream (which takes the leases). */
    private CompletionStage<Void> load() {
        List<StatefulRedisConnection<byte[], byte[]>> connections = tails.stream().map(t -> t.connection).toList();
        return snapshots.load(connections, newViewKey()).thenAccept(loaded -> {
            for (Tail t : tails) {
                // Current as of the snapshot. Should this replica's lease still run (Redis came back within it,
                // its table kept by the append-only file), writers waited for it all along: serve once confirmed.
                // A new lease instead moves this to the newest change (ack).
                t.readyAt = loaded.seqs()[t.index];
                t.emptyBehind = 0;
                t.lastEntry = loaded.lastEntries().get(t.index);
            }
            view.reset(loaded.seqs(), loaded.tv(), loaded.web(), loaded.ads(), loaded.rules(), loaded.bitmaps(),
                    loaded.viewKey());
            long[] seqs = loaded.seqs();
            Log.infof("eligibility view loaded at change %s: %d campaigns, %d bitmaps",
                    seqs.length == 1 ? Long.toString(seqs[0]) : java.util.Arrays.toString(seqs),
                    loaded.rules().size(), loaded.bitmaps().size());
        }).thenCompose(loaded -> {
            List<CompletableFuture<Void>> acked = new ArrayList<>();
            tails.forEach(t -> acked.add(ack(t, t.connection.async(), false).toCompletableFuture()));
            return CompletableFuture.allOf(acked.toArray(CompletableFuture[]::new));
        });
    }

    /** Follows every stream; completes (exceptionally, or when stopped) once the first of them stops. */
    private CompletionStage<Void> tailEvery(int started) {
        CompletableFuture<Void> first = new CompletableFuture<>();
        for (Tail t : tails) {
            tail(t, t.connection.async(), started).whenComplete((done, failure) -> {
                if (failure != null) {
                    first.completeExceptionally(failure);
                } else {
                    first.complete(null);
                }
            });
        }
        return first;
    }

    /** Reads a stream from the last change applied, applies what came, confirms; again, until stopped. */
    private CompletionStage<Void> tail(Tail t, RedisAsyncCommands<byte[], byte[]> r, int started) {
        if (stopped || started != generation) {
            return CompletableFuture.completedFuture(null);
        }
        return r.xread(XReadArgs.Builder.block(Math.min(1_000, leaseMillis / 4)).count(BATCH),
                        XReadArgs.StreamOffset.from(t.keys.stream(), t.lastEntry))
                .thenCompose(messages -> {
                    if (started != generation) {
                        return CompletableFuture.completedFuture(null);
                    }
                    List<StreamMessage<byte[], byte[]>> read = messages == null ? List.of() : messages;
                    return applier.apply(r, t.index, t.keys, read).thenCompose(lastId -> {
                        if (lastId != null) {
                            t.lastEntry = lastId;
                        }
                        return ack(t, r, read.isEmpty());
                    });
                })
                .thenCompose(acked -> tail(t, r, started));
    }

    /** Confirms the change number applied on one stream and renews its lease; decides whether it may answer. */
    private CompletionStage<Void> ack(Tail t, RedisAsyncCommands<byte[], byte[]> r, boolean readNothing) {
        long applied = view.applied(t.index);
        long sent = System.nanoTime();
        return ACK.<List<Long>>run(r, ScriptOutputType.MULTI, new byte[][] {t.keys.seq(), t.keys.stream(),
                t.keys.leases(), t.keys.applied()}, bytes(replica), bytes(Long.toString(applied)),
                bytes(Long.toString(leaseMillis)))
                .thenAccept(answer -> {
                    boolean running = answer.get(0) == 1L;
                    long newest = answer.get(1);
                    if (newest < applied) {
                        throw new IllegalStateException("the change stream went back (Redis emptied or replaced)");
                    }
                    if (!running) {
                        // A new lease: writers before it did not wait for us, so catch up with all of them first.
                        t.ready = false;
                        t.readyAt = newest;
                    }
                    // Nothing to read while newer changes exist happens once in a race; again and again means
                    // the entries are gone (the stream was deleted or trimmed by hand).
                    t.emptyBehind = readNothing && newest > applied ? t.emptyBehind + 1 : 0;
                    if (t.emptyBehind > 3) {
                        throw new IllegalStateException("the change stream lost entries this replica had not read");
                    }
                    t.leaseValidUntil = sent + leaseMillis * 900_000L;
                    if (!t.ready && applied >= t.readyAt) {
                        t.ready = true;
                        if (!announced && tails.stream().allMatch(each -> each.ready)) {
                            announced = true;
                            Log.infof("eligibility view serving (%d change streams)", tails.size());
                        }
                    }
                    changes.acknowledged(t.keys, answer.get(2));
                });
    }

    /** A view key, should Redis hold none yet (the first replica's snapshot stores it: view_snapshot.lua). */
    private static byte[] newViewKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return key;
    }

    private static String describe(Throwable failure) {
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
