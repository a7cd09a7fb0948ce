package be.audiencematch.changes;

import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;

import static be.audiencematch.redis.Bytes.bytes;

/**
 * The writers' side of the eligibility views: a write that changes what eligibility reads is acknowledged only once
 * every replica whose view is live has applied it, so the very next answer from any replica reflects it. A
 * replica that does not confirm holds writers for at most its lease, after which it no longer answers from its
 * view (see docs/architecture.md, "Eligibility view").
 */
@ApplicationScoped
public class ChangeLog {

    private static final RedisScript SETTLED = RedisScript.load("view_settled");
    /** How often writers that wait look again (other replicas' confirmations and lease ends are not pushed). */
    private static final long POLL_MILLIS = 1;

    private final RedisConnections redis;
    private final Vertx vertx;
    private final KeySpace.Keys shard;
    private final ChangeKeys keys;
    /** Longer than any lease: past this the write is stored but the caller is told to send it again. */
    private final Duration most;
    /** Writers waiting, by the change number they wait for. */
    private final TreeMap<Long, List<UniEmitter<? super Void>>> waiting = new TreeMap<>();
    private long lowestKnown;
    private boolean polling;
    /** Redis replicas holding the write (WAIT), checked beside the views. */
    private final ReplicaAcknowledgement replicas;

    public ChangeLog(RedisConnections redis, Vertx vertx,
                     KeySpace keySpace,
                     AudienceMatchConfig.Eligibility.View view,
                     AudienceMatchConfig.Redis redisSettings) {
        this.redis = redis;
        // One change stream while the base is one shard (docs/scaling.md, "Change streams and read-your-writes").
        this.shard = keySpace.single();
        this.replicas = new ReplicaAcknowledgement(redis, redisSettings.replicaWait(), shard.key("durable"));
        this.most = view.confirmTimeout();
        this.vertx = vertx;
        this.keys = ChangeKeys.of(shard);
    }

    public ChangeKeys keys() {
        return keys;
    }

    /**
     * Completes once every live eligibility view has applied every change made before this call, and Redis replicas
     * hold those changes ({@link ReplicaAcknowledgement}; docs/architecture.md, "Durable acknowledgement"). Every
     * acknowledged write passes here, so this is the one place both promises are kept.
     */
    public Uni<Void> settled() {
        Uni<Void> views = redis.withShared(shard.slot(), r -> check(r, new byte[0]))
                .flatMap(answer -> answer.get(1) >= answer.get(0) ? Uni.createFrom().voidItem() : waitFor(answer.get(0)))
                .ifNoItem().after(most).failWith(() -> new ProblemException(503, "Service Unavailable",
                        "the change is stored, but not every replica confirmed it in time; send it again"));
        return Uni.combine().all().unis(views, replicas.replicated()).discardItems();
    }

    /** {the change number asked about (empty: the newest), the lowest a live replica applied}. */
    private CompletionStage<List<Long>> check(RedisAsyncCommands<byte[], byte[]> r, byte[] change) {
        return SETTLED.run(r, ScriptOutputType.MULTI, new byte[][] {keys.seq(), keys.leases(), keys.applied()}, change);
    }

    private Uni<Void> waitFor(long change) {
        return Uni.createFrom().emitter(emitter -> {
            boolean poll;
            synchronized (this) {
                if (change <= lowestKnown) {
                    poll = false;
                    emitter.complete(null);
                } else {
                    waiting.computeIfAbsent(change, c -> new ArrayList<>()).add(emitter);
                    poll = !polling;
                    polling = true;
                }
            }
            if (poll) {
                vertx.setTimer(POLL_MILLIS, id -> poll());
            }
        });
    }

    /** Every live view has applied up to {@code lowest}: releases the writers waiting for that much or less. */
    public void acknowledged(long lowest) {
        List<UniEmitter<? super Void>> released = new ArrayList<>();
        synchronized (this) {
            lowestKnown = Math.max(lowestKnown, lowest);
            Map<Long, List<UniEmitter<? super Void>>> done = waiting.headMap(lowest, true);
            done.values().forEach(released::addAll);
            done.clear();
        }
        released.forEach(e -> e.complete(null));
    }

    private void poll() {
        long newest;
        synchronized (this) {
            if (waiting.isEmpty()) {
                polling = false;
                return;
            }
            newest = waiting.lastKey();
        }
        redis.shared().thenCompose(c -> check(c.async(), bytes(Long.toString(newest))))
                .whenComplete((answer, failure) -> {
                    if (failure == null) {
                        acknowledged(answer.get(1));
                    }
                    vertx.setTimer(POLL_MILLIS, id -> poll());
                });
    }
}
