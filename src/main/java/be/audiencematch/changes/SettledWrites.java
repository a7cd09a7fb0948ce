package be.audiencematch.changes;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

import be.audiencematch.kernel.ProblemException;

/**
 * How a store writes what eligibility reads: the write's {@code Uni} completes only once every live eligibility
 * view has applied it ({@link ChangeLog#settled()}), so what a store hands its service is already acknowledged and
 * no service has to remember to wait (docs/architecture.md, "Leases, and why the promise holds").
 * <p>
 * A script that appends a change entry needs the stream's keys, and a store gets them only here, inside
 * {@link #write}: a write path that names the stream cannot leave out the wait. Scripts that find the stream from
 * the key prefix ({@code subscriber_lib.lua}: the subscriber scripts, a bulk load's records) go through
 * {@link #of} and {@link #blocking}; a streamed flow gets the keys from {@link #blocking} too.
 */
@ApplicationScoped
public class SettledWrites {

    private final ChangeLog log;

    public SettledWrites(ChangeLog log) {
        this.log = log;
    }

    /** The write, given the change stream's keys, completing once every live view has applied it. */
    public <T> Uni<T> write(Function<ChangeKeys, Uni<T>> write) {
        return write(log.keys(), write);
    }

    /**
     * Like {@link #write(Function)}, for a write to shard {@code shard}'s keys, which appends to that shard's stream
     * (docs/scaling.md, "Change streams and read-your-writes").
     */
    public <T> Uni<T> write(int shard, Function<ChangeKeys, Uni<T>> write) {
        return write(log.keys(shard), write);
    }

    private <T> Uni<T> write(ChangeKeys stream, Function<ChangeKeys, Uni<T>> write) {
        return Uni.createFrom().deferred(() -> write.apply(stream)).call(written -> log.settled(stream));
    }

    /**
     * The first step of a write whose caller settles it with a later step (an erasure: the base's step, then the
     * member stores, then {@code erasure_finish.lua} through {@link #write}, whose wait covers the first step's change
     * entry too, since it comes after it in the stream). Given the change stream's keys; does not wait.
     */
    public <T> Uni<T> settledByALaterStep(Function<ChangeKeys, Uni<T>> write) {
        return Uni.createFrom().deferred(() -> write.apply(log.keys()));
    }

    /**
     * A step of a write across shards (docs/scaling.md, "A write across shards"), given shard {@code shard}'s change
     * stream keys; does not wait: the sequence ends with {@link #settle}, for every shard it appended to.
     */
    public <T> Uni<T> step(int shard, Function<ChangeKeys, Uni<T>> write) {
        return Uni.createFrom().deferred(() -> write.apply(log.keys(shard)));
    }

    /**
     * Shard {@code shard}'s change stream keys, for a step whose arguments are built ahead of it (a bulk load's record
     * calls); like {@link #step}, the sequence ends with {@link #settle} or, for a bulk load, {@link #blocking}.
     */
    public ChangeKeys keys(int shard) {
        return log.keys(shard);
    }

    /** Completes once every live view has applied every change made so far to these shards' streams. */
    public Uni<Void> settle(Collection<Integer> shards) {
        List<Uni<Void>> each = new ArrayList<>();
        for (int shard : new TreeSet<>(shards)) {
            each.add(log.settled(log.keys(shard)));
        }
        return each.isEmpty() ? Uni.createFrom().voidItem() : Uni.combine().all().unis(each).discardItems();
    }

    /**
     * {@code write}, completing once every live view has applied every stream's changes made before it completed; a
     * failed write fails as it is.
     */
    public <T> Uni<T> of(Uni<T> write) {
        return write.call(written -> log.settled());
    }

    /**
     * On a worker thread: runs a streamed flow's writes (a bulk load's chunks), given the change stream's keys, then
     * waits once until every live view
     * has applied them, also when the flow ends with a problem after writing part of them (a 413, a 503): what was
     * written is acknowledged as written.
     */
    public <T> T blocking(Function<ChangeKeys, T> writes) {
        T done;
        try {
            done = writes.apply(log.keys());
        } catch (ProblemException partlyWritten) {
            log.settled().await().indefinitely();
            throw partlyWritten;
        }
        log.settled().await().indefinitely();
        return done;
    }
}
