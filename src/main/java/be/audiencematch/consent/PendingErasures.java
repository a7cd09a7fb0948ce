package be.audiencematch.consent;

import be.audiencematch.changes.SettledWrites;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import java.util.ArrayList;
import java.util.List;

import static be.audiencematch.redis.Bytes.bytes;
import static be.audiencematch.redis.Bytes.str;

/**
 * The second half of an erasure, made resumable. {@code subscriber_erase.lua} removes the subscriber from the base
 * and, in the same atomic step, puts its number in the pending-erasure set {@code {p}erasing}; then every
 * {@link MemberEraser} (segments, audiences) clears the number's bit, and only once all succeeded does
 * {@code erasure_finish.lua} take it out of the set (and tell the eligibility views to clear their copies). A
 * failure in between leaves the number in the set, where a retry of the DELETE (which no longer finds the
 * subscriber) and the next start of any replica find it and finish the job (docs/architecture.md, "Flows").
 */
@ApplicationScoped
public class PendingErasures {

    private static final RedisScript FINISH = RedisScript.load("erasure_finish", "view_lib");
    /** After a failed attempt at start (Redis down, a store failing), the next one comes this much later. */
    private static final long RETRY_MILLIS = 30_000;

    private final RedisConnections redis;
    private final Instance<MemberEraser> erasers;
    private final SettledWrites settled;
    private final SubscriberStore base;
    private final KeySpace keys;
    private final Vertx vertx;

    public PendingErasures(RedisConnections redis, Instance<MemberEraser> erasers, SettledWrites settled,
                           SubscriberStore base, Vertx vertx) {
        this.redis = redis;
        this.erasers = erasers;
        this.settled = settled;
        this.base = base;
        this.keys = base.keySpace();
        this.vertx = vertx;
    }

    /**
     * Erases the subscriber everywhere and answers once every eligibility view has it: the base first (consents with
     * it, in one atomic step), then every member store, then the end of the erasure ({@link #finish}, which waits
     * for the views: its change entry comes after the base's). {@code erased} runs when the subscriber existed, as
     * soon as the base no longer holds it. An unknown id finishes every pending erasure instead (a retry of an
     * erasure that failed half-way no longer finds the subscriber).
     */
    public Uni<Void> erase(String subscriberId, Runnable erased) {
        return base.erase(subscriberId).flatMap(number -> {
            if (number < 0) {
                return settled.of(finishAll()).replaceWithVoid();
            }
            erased.run();
            return finish(number);
        });
    }

    /**
     * Clears the number's bit in every member store, then ends its erasure, once every eligibility view cleared its
     * copies; fails (and it stays pending) otherwise. {@code number} is global; the pending set and the change
     * stream are its home shard's, which hold it by local number (docs/scaling.md, "Numbers").
     */
    private Uni<Void> finish(long number) {
        List<Uni<Void>> all = new ArrayList<>();
        erasers.forEach(e -> all.add(e.eraseMember(number)));
        Uni<Void> cleared = all.isEmpty() ? Uni.createFrom().voidItem()
                : Uni.join().all(all).andFailFast().replaceWithVoid();
        int shard = keys.shardOf(number);
        KeySpace.Keys home = keys.shard(shard);
        byte[] n = bytes(Long.toString(Long.divideUnsigned(number, keys.shards())));
        return cleared.flatMap(done -> settled.write(shard, changes -> redis.withShared(home.slot(),
                r -> FINISH.<Long>run(r, ScriptOutputType.INTEGER, new byte[][] {pendingKey(home), changes.seq(),
                    changes.stream()}, n))))
                .replaceWithVoid();
    }

    /** Finishes every erasure still pending (there are few: only those a failure interrupted); how many. */
    Uni<Integer> finishAll() {
        return redis.onEach(keys.everyShard(), (shard, r) -> r.smembers(pendingKey(shard))).flatMap(parts -> {
            List<Long> pending = new ArrayList<>();
            for (int s = 0; s < parts.size(); s++) {
                for (byte[] local : parts.get(s)) {
                    pending.add(Long.parseLong(str(local)) * keys.shards() + s);
                }
            }
            return finishEach(pending, 0);
        });
    }

    private Uni<Integer> finishEach(List<Long> pending, int done) {
        if (done == pending.size()) {
            return Uni.createFrom().item(done);
        }
        return finish(pending.get(done)).flatMap(finished -> finishEach(pending, done + 1));
    }

    /** A shard's numbers whose erasure is not finished yet. */
    private static byte[] pendingKey(KeySpace.Keys shard) {
        return shard.key("erasing");
    }

    /**
     * At start, without holding it up or readiness down: a pending number has no record, identifiers or consents
     * left, so no report or eligibility answer can count it meanwhile; only its stale membership bits wait.
     */
    void onStart(@Observes StartupEvent started) {
        finishAtStart();
    }

    private void finishAtStart() {
        finishAll().subscribe().with(
                finished -> {
                    if (finished > 0) {
                        Log.infof("finished %d interrupted erasure(s)", finished);
                    }
                },
                failure -> {
                    Log.warnf("interrupted erasures not finished yet (%s); trying again in %d s",
                            failure.getClass().getSimpleName(), RETRY_MILLIS / 1000);
                    vertx.setTimer(RETRY_MILLIS, id -> finishAtStart());
                });
    }
}
