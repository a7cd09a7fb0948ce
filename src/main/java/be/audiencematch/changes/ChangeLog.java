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
 * <p>
 * Each change stream ({@link ChangeKeys}: one in a base of one shard, the global one and one a shard otherwise) keeps
 * its own change numbers, leases and confirmations, so the rule is kept stream by stream: a write waits for the
 * streams it appended to (docs/scaling.md, "Change streams and read-your-writes").
 */
@ApplicationScoped
public class ChangeLog {

    private static final RedisScript SETTLED = RedisScript.load("view_settled");
    /** How often writers that wait look again (other replicas' confirmations and lease ends are not pushed). */
    private static final long POLL_MILLIS = 1;

    private final RedisConnections redis;
    private final Vertx vertx;
    private final List<Stream> streams;
    /** Longer than any lease: past this the write is stored but the caller is told to send it again. */
    private final Duration most;

    public ChangeLog(RedisConnections redis, Vertx vertx,
                     KeySpace keySpace,
                     AudienceMatchConfig.Eligibility.View view,
                     AudienceMatchConfig.Redis redisSettings) {
        this.redis = redis;
        this.most = view.confirmTimeout();
        this.vertx = vertx;
        int shards = keySpace.shards();
        List<ChangeKeys> keys = new ArrayList<>();
        if (shards == 1) {
            // The global keys are shard 0's: one stream, today's keys.
            keys.add(ChangeKeys.of(keySpace.shard(0), 0, 1));
        } else {
            keys.add(ChangeKeys.of(keySpace.global(), -1, shards));
            for (int s = 0; s < shards; s++) {
                keys.add(ChangeKeys.of(keySpace.shard(s), s, shards));
            }
        }
        List<Stream> all = new ArrayList<>(keys.size());
        for (ChangeKeys k : keys) {
            // Redis' WAIT covers the primary it is sent to: each stream's writes are waited for on their own primary.
            all.add(new Stream(k, new ReplicaAcknowledgement(redis, redisSettings.replicaWait(),
                    k.where().key("durable"), k.slot())));
        }
        this.streams = List.copyOf(all);
    }

    /** The global change stream's keys (the campaigns'); in a base of one shard, its one stream. */
    public ChangeKeys keys() {
        return streams.get(0).keys;
    }

    /** The change stream of shard {@code shard}'s keys (in a base of one shard, its one stream). */
    public ChangeKeys keys(int shard) {
        return streams.size() == 1 ? keys() : streams.get(shard + 1).keys;
    }

    /** Every change stream, the global one first: what a replica's view follows. */
    public List<ChangeKeys> streams() {
        return streams.stream().map(s -> s.keys).toList();
    }

    /**
     * Completes once every live eligibility view has applied every change made before this call to every stream, and
     * Redis replicas hold those changes ({@link ReplicaAcknowledgement}; docs/architecture.md, "Durable
     * acknowledgement"). Every acknowledged write passes here or through {@link #settled(ChangeKeys)}, so these are
     * the one place both promises are kept.
     */
    public Uni<Void> settled() {
        if (streams.size() == 1) {
            return streams.get(0).settled();
        }
        return Uni.combine().all().unis(streams.stream().map(Stream::settled).toList()).discardItems();
    }

    /** Like {@link #settled()}, for the changes made to one stream: a write that appended to that stream only. */
    public Uni<Void> settled(ChangeKeys stream) {
        return find(stream).settled();
    }

    /** Every live view has applied up to {@code lowest} of {@code stream}: releases the writers waiting for that. */
    public void acknowledged(ChangeKeys stream, long lowest) {
        find(stream).acknowledged(lowest);
    }

    /** A stream's place in {@link #streams}: the global one first, then shard s at s + 1 (one stream: 0). */
    private Stream find(ChangeKeys keys) {
        return streams.get(streams.size() == 1 || keys.shard() < 0 ? 0 : keys.shard() + 1);
    }

    /** One stream's writers waiting for confirmations, by the change number they wait for. */
    private final class Stream {
        final ChangeKeys keys;
        final ReplicaAcknowledgement replicas;
        final TreeMap<Long, List<UniEmitter<? super Void>>> waiting = new TreeMap<>();
        long lowestKnown;
        boolean polling;

        Stream(ChangeKeys keys, ReplicaAcknowledgement replicas) {
            this.keys = keys;
            this.replicas = replicas;
        }

        Uni<Void> settled() {
            Uni<Void> views = redis.withShared(keys.slot(), r -> check(r, new byte[0]))
                    .flatMap(answer -> answer.get(1) >= answer.get(0) ? Uni.createFrom().voidItem()
                            : waitFor(answer.get(0)))
                    .ifNoItem().after(most).failWith(() -> new ProblemException(503, "Service Unavailable",
                            "the change is stored, but not every replica confirmed it in time; send it again"));
            return Uni.combine().all().unis(views, replicas.replicated()).discardItems();
        }

        /** {the change number asked about (empty: the newest), the lowest a live replica applied}. */
        CompletionStage<List<Long>> check(RedisAsyncCommands<byte[], byte[]> r, byte[] change) {
            return SETTLED.run(r, ScriptOutputType.MULTI, new byte[][] {keys.seq(), keys.leases(), keys.applied()},
                    change);
        }

        Uni<Void> waitFor(long change) {
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

        void acknowledged(long lowest) {
            List<UniEmitter<? super Void>> released = new ArrayList<>();
            synchronized (this) {
                lowestKnown = Math.max(lowestKnown, lowest);
                Map<Long, List<UniEmitter<? super Void>>> done = waiting.headMap(lowest, true);
                done.values().forEach(released::addAll);
                done.clear();
            }
            released.forEach(e -> e.complete(null));
        }

        void poll() {
            long newest;
            synchronized (this) {
                if (waiting.isEmpty()) {
                    polling = false;
                    return;
                }
                newest = waiting.lastKey();
            }
            redis.withShared(keys.slot(), r -> check(r, bytes(Long.toString(newest))))
                    .subscribe().with(answer -> {
                        acknowledged(answer.get(1));
                        vertx.setTimer(POLL_MILLIS, id -> poll());
                    }, failure -> vertx.setTimer(POLL_MILLIS, id -> poll()));
        }
    }
}
