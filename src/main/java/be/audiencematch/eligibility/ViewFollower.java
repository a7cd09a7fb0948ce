package be.audiencematch.eligibility;

import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.changes.ChangeLog;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.eligibility.EligibilityView.Rule;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.RandomIds;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import be.audiencematch.segment.SegmentStore;
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
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static be.audiencematch.redis.Bytes.bytes;
import static be.audiencematch.redis.Bytes.str;

/**
 * Keeps this replica's {@link EligibilityView} in step with the change stream and holds its lease: after every
 * read of the stream it confirms the change number applied and renews the lease, and it answers from the view only
 * while the lease runs and the view has caught up with every change made before it registered. Writers wait for
 * every live lease holder's confirmation ({@link ChangeLog#settled()}), so a confirmed change is in the very next
 * answer; a replica that stops confirming stops answering from its view before writers stop waiting for it (its
 * lease ends first on its own clock), and answers from Redis meanwhile.
 */
@ApplicationScoped
public class ViewFollower {

    private static final RedisScript SNAPSHOT = RedisScript.load("view_snapshot");
    private static final RedisScript READ = RedisScript.load("view_read");
    private static final RedisScript ACK = RedisScript.load("view_ack");
    private static final int BATCH = 512;
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    /** The first retry after a failure; doubled while failures follow each other (Redis down), up to the most. */
    private static final long RETRY_MILLIS = 1_000;
    private static final long RETRY_MOST_MILLIS = 16_000;

    private final RedisConnections redis;
    private final ChangeLog changes;
    private final ChangeKeys keys;
    private final ViewBitmapReads bitmapReads;
    private final ChangeApplier applier;
    private final SubscriberStore base;
    private final byte[] rulesKey;
    private final boolean enabled;
    private final long leaseMillis;
    private final Vertx vertx;
    private final EligibilityView view;
    private final String replica = RandomIds.next("replica_");

    private volatile boolean ready;
    /** System.nanoTime() until which the lease surely runs (renewal sent + 90 % of the lease). */
    private volatile long leaseValidUntil;
    /** Serve only once the view has applied this much: the newest change when the lease (re)started. */
    private long readyAt = Long.MAX_VALUE;
    private int emptyBehind;
    /** The stream entry id of the last change applied (where the next read starts). */
    private String lastEntry = "0-0";
    private volatile boolean stopped;
    private volatile StatefulRedisConnection<byte[], byte[]> connection;

    @Inject
    public ViewFollower(RedisConnections redis, ChangeLog changes, SubscriberStore base, CampaignStore campaigns,
                        SegmentStore segments, Vertx vertx, MeterRegistry metrics,
                        AudienceMatchConfig.Eligibility.View view) {
        this(redis, changes, base, campaigns, segments, vertx, metrics, view.enabled(), view.lease(),
                view.maxHouseholds());
    }

    public ViewFollower(RedisConnections redis, ChangeLog changes, SubscriberStore base, CampaignStore campaigns,
                        SegmentStore segments, Vertx vertx, MeterRegistry metrics, boolean enabled, Duration lease,
                        int maxHouseholds) {
        if (lease.toMillis() < 200) {
            throw new IllegalArgumentException("audience-match.eligibility.view.lease must be at least 200ms");
        }
        this.redis = redis;
        this.changes = changes;
        this.keys = changes.keys();
        this.bitmapReads = new ViewBitmapReads(READ, keys.seq(), vertx);
        this.base = base;
        this.rulesKey = campaigns.rulesKey();
        this.enabled = enabled;
        this.leaseMillis = lease.toMillis();
        this.vertx = vertx;
        this.view = new EligibilityView(segments.bitmapKeyPrefix(), maxHouseholds);
        this.applier = new ChangeApplier(this.view, bitmapReads, READ, keys.seq(), rulesKey);
        Gauge.builder("audience_match_eligibility_view_serving", this, f -> f.serving() ? 1 : 0)
                .description("1 while this replica answers eligibility from its own view").register(metrics);
        Gauge.builder("audience_match_eligibility_view_households", view, EligibilityView::householdsKept)
                .description("households whose member lists this replica keeps").register(metrics);
        Gauge.builder("audience_match_eligibility_view_bitmap_bytes", view, EligibilityView::bitmapBytes)
                .description("bytes of heap the audience and segment bitmaps in this replica's view take")
                .register(metrics);
    }

    /**
     * True while answers may come from the view: caught up, the lease surely runs, and the stream connection is up
     * (a Redis that went away may come back empty, with no lease to hold writers for us).
     */
    public boolean serving() {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        return ready && System.nanoTime() - leaseValidUntil < 0 && c != null && c.isOpen();
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
        return redis.withShared(r -> READ.<List<Object>>run(r, ScriptOutputType.MULTI,
                new byte[][] {keys.seq(), base.householdKey(householdId)}, bytes("household"), bytes(householdId)))
                .map(read -> {
                    int[] members = EligibilityView.members((byte[]) read.get(1));
                    view.offerHousehold(householdId, members, (Long) read.get(0));
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
        ready = false;
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c != null) {
            // Writers need not wait for a replica that is gone: leave the lease table now rather than at lease end.
            // The stream connection closes first, so no confirmation of ours (which renews the lease) can follow;
            // the lease is dropped on another connection, as this one may be blocked in XREAD.
            // Waited for (briefly, on the thread that stops the application, after requests in flight finished):
            // the process must not exit before the lease is given up (docs/operations.md, "Stopping").
            try {
                c.closeAsync().thenCompose(closed -> redis.shared())
                        .thenCompose(shared -> shared.async().zrem(keys.leases(), bytes(replica))
                                .thenCompose(n -> shared.async().hdel(keys.applied(), bytes(replica))))
                        .exceptionally(failure -> 0L)
                        .toCompletableFuture().get(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                Log.warn("eligibility view: could not give up the lease; writers wait for it to end");
            }
        }
    }

    /**
     * Connects, loads a snapshot and registers, tried again with Mutiny's exponential back-off while that fails
     * (Redis down: 1 s, doubling up to 16 s, with jitter); then follows the stream until something fails, and starts
     * over, the back-off afresh.
     */
    private void follow() {
        if (stopped) {
            return;
        }
        ready = false;
        Uni.createFrom().completionStage(this::connectAndLoad)
                .onFailure(failure -> !stopped).invoke(failure -> Log.warnf(
                        "eligibility view: %s; answering from Redis, trying again", describe(failure)))
                .onFailure(failure -> !stopped).retry()
                .withBackOff(Duration.ofMillis(RETRY_MILLIS), Duration.ofMillis(RETRY_MOST_MILLIS)).indefinitely()
                .chain(c -> Uni.createFrom().completionStage(() -> tail(c.async())))
                .subscribe().with(done -> startOver(null), this::startOver);
    }

    private CompletionStage<StatefulRedisConnection<byte[], byte[]>> connectAndLoad() {
        return redis.dedicated().thenCompose(c -> {
            c.setAutoFlushCommands(true);
            connection = c;
            return load(c.async()).thenApply(loaded -> c);
        }).whenComplete((c, failure) -> {
            if (failure != null) {
                closeConnection();
            }
        });
    }

    private void closeConnection() {
        ready = false;
        StatefulRedisConnection<byte[], byte[]> c = connection;
        connection = null;
        if (c != null && c.isOpen()) {
            c.closeAsync();
        }
    }

    /** The stream failed (or stopped): answers come from Redis until a new snapshot is loaded. */
    private void startOver(Throwable failure) {
        closeConnection();
        if (!stopped) {
            Log.warnf("eligibility view: %s; answering from Redis, starting over in %d ms",
                    failure == null ? "stopped" : describe(failure), RETRY_MILLIS);
            vertx.setTimer(RETRY_MILLIS, id -> follow());
        }
    }

    private CompletionStage<Void> load(RedisAsyncCommands<byte[], byte[]> r) {
        return SNAPSHOT.<List<Object>>run(r, ScriptOutputType.MULTI, new byte[][] {keys.seq(),
                base.consentKey(Purpose.TV), base.consentKey(Purpose.WEB), base.consentKey(Purpose.ADS_AND_DATA),
                rulesKey, keys.stream(), keys.viewKey()}, newViewKey()).thenCompose(snapshot -> {
            long seq = (Long) snapshot.get(0);
            @SuppressWarnings("unchecked")
            List<byte[]> flat = (List<byte[]>) snapshot.get(4);
            long now = System.currentTimeMillis();
            Map<String, Rule> rules = new HashMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                Rule rule = view.parseRule(flat.get(i + 1));
                if (rule.endsMs() > now) {
                    rules.put(str(flat.get(i)), rule);
                }
            }
            Set<String> named = new LinkedHashSet<>();
            rules.values().forEach(rule -> named.addAll(rule.bitmapKeys()));
            return bitmapReads.read(r, named).thenAccept(bitmaps -> {
                view.reset(seq, (byte[]) snapshot.get(1), (byte[]) snapshot.get(2), (byte[]) snapshot.get(3), rules,
                        bitmaps, (byte[]) snapshot.get(6));
                // Current as of the snapshot. Should this replica's lease still run (Redis came back within it,
                // its table kept by the append-only file), writers waited for it all along: serve once confirmed.
                // A new lease instead moves this to the newest change (ack).
                readyAt = seq;
                emptyBehind = 0;
                lastEntry = str((byte[]) snapshot.get(5));
                Log.infof("eligibility view loaded at change %d: %d campaigns, %d bitmaps", seq, rules.size(),
                        bitmaps.size());
            });
        }).thenCompose(loaded -> ack(r, false));
    }

    /** Reads the stream from the last change applied, applies what came, confirms; again, until stopped. */
    private CompletionStage<Void> tail(RedisAsyncCommands<byte[], byte[]> r) {
        if (stopped) {
            return CompletableFuture.completedFuture(null);
        }
        long from = view.applied();
        return r.xread(XReadArgs.Builder.block(Math.min(1_000, leaseMillis / 4)).count(BATCH),
                        XReadArgs.StreamOffset.from(keys.stream(), lastEntry))
                .thenCompose(messages -> {
                    List<StreamMessage<byte[], byte[]>> read = messages == null ? List.of() : messages;
                    return applier.apply(r, from, read).thenCompose(lastId -> {
                        if (lastId != null) {
                            lastEntry = lastId;
                        }
                        return ack(r, read.isEmpty());
                    });
                })
                .thenCompose(acked -> tail(r));
    }

    /** Confirms the change number applied and renews the lease; decides whether the view may answer. */
    private CompletionStage<Void> ack(RedisAsyncCommands<byte[], byte[]> r, boolean readNothing) {
        long applied = view.applied();
        long sent = System.nanoTime();
        return ACK.<List<Long>>run(r, ScriptOutputType.MULTI, new byte[][] {keys.seq(), keys.stream(), keys.leases(),
                keys.applied()}, bytes(replica), bytes(Long.toString(applied)), bytes(Long.toString(leaseMillis)))
                .thenAccept(answer -> {
                    boolean running = answer.get(0) == 1L;
                    long newest = answer.get(1);
                    if (newest < applied) {
                        throw new IllegalStateException("the change stream went back (Redis emptied or replaced)");
                    }
                    if (!running) {
                        // A new lease: writers before it did not wait for us, so catch up with all of them first.
                        ready = false;
                        readyAt = newest;
                    }
                    // Nothing to read while newer changes exist happens once in a race; again and again means
                    // the entries are gone (the stream was deleted or trimmed by hand).
                    emptyBehind = readNothing && newest > applied ? emptyBehind + 1 : 0;
                    if (emptyBehind > 3) {
                        throw new IllegalStateException("the change stream lost entries this replica had not read");
                    }
                    leaseValidUntil = sent + leaseMillis * 900_000L;
                    if (!ready && applied >= readyAt) {
                        ready = true;
                        Log.infof("eligibility view serving from change %d", applied);
                    }
                    changes.acknowledged(answer.get(2));
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
