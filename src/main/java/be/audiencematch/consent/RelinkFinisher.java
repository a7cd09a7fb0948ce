package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;

import static be.audiencematch.redis.Bytes.str;

/**
 * Finishes the sharded subscriber writes a failure cut short between their first and last step (docs/scaling.md, "A
 * write across shards"): every 30 s, each shard's relink traces that were already there, unchanged, on the previous
 * look (a write in progress takes milliseconds) are linked from the current record and cleared. Until then the
 * subscriber's identifiers match no one (fail closed). A base of one shard writes each subscriber in one script and
 * leaves no trace: nothing runs there.
 */
@ApplicationScoped
public class RelinkFinisher {

    private static final long EVERY_MILLIS = 30_000;

    private final SubscriberStore base;
    private final RedisConnections redis;
    private final Vertx vertx;
    /** The traces found on the last look, by shard and local number. */
    private Map<String, byte[]> seen = Map.of();
    private volatile long timer = -1;

    public RelinkFinisher(SubscriberStore base, RedisConnections redis, Vertx vertx) {
        this.base = base;
        this.redis = redis;
        this.vertx = vertx;
    }

    void onStart(@Observes StartupEvent started) {
        if (base.keySpace().shards() > 1) {
            timer = vertx.setPeriodic(EVERY_MILLIS, id -> look().subscribe().with(n -> {
                if (n > 0) {
                    Log.infof("finished %d interrupted subscriber write(s)", n);
                }
            }, failure -> Log.warnf("interrupted subscriber writes not finished yet (%s)",
                    failure.getClass().getSimpleName())));
        }
    }

    void onStop(@Observes ShutdownEvent stopping) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** One look: finishes the traces unchanged since the previous one; how many. */
    synchronized Uni<Integer> look() {
        Map<String, byte[]> before = seen;
        return traces().flatMap(now -> {
            synchronized (this) {
                seen = now;
            }
            List<Map.Entry<String, byte[]>> stale = new ArrayList<>();
            now.forEach((at, trace) -> {
                if (Arrays.equals(trace, before.get(at))) {
                    stale.add(Map.entry(at, trace));
                }
            });
            return finish(stale);
        });
    }

    /** Finishes every trace there is now, whatever its age (tests; an operator's repair). */
    Uni<Integer> finishAll() {
        return traces().flatMap(now -> finish(new ArrayList<>(now.entrySet())));
    }

    /** Every shard's traces, by "shard:local number". */
    private Uni<Map<String, byte[]>> traces() {
        KeySpace space = base.keySpace();
        return redis.onEach(space.everyShard(), (shard, r) -> r.hgetall(ShardedSubscriberWrites.relinkKey(shard)))
                .map(parts -> {
                    Map<String, byte[]> all = new HashMap<>();
                    for (int s = 0; s < parts.size(); s++) {
                        int shard = s;
                        parts.get(s).forEach((local, trace) -> all.put(shard + ":" + str(local), trace));
                    }
                    return all;
                });
    }

    private Uni<Integer> finish(List<Map.Entry<String, byte[]>> traces) {
        if (traces.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        List<Uni<Void>> each = new ArrayList<>();
        Set<Integer> touched = new ConcurrentSkipListSet<>();
        for (Map.Entry<String, byte[]> entry : traces) {
            String[] at = entry.getKey().split(":");
            int shard = Integer.parseInt(at[0]);
            long local = Long.parseLong(at[1]);
            touched.add(shard);
            RelinkTrace trace = RelinkTrace.decode(entry.getValue());
            each.add(base.sharded().current(trace.subscriberId()).flatMap(record -> base.sharded().link(
                    trace.subscriberId(), new ShardedSubscriberWrites.Home(false, shard, local, entry.getValue(),
                            record), touched)));
        }
        return Uni.join().all(each).andFailFast().call(done -> base.settled.settle(touched))
                .replaceWith(traces.size());
    }
}
