package be.audiencematch.eligibility;

import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.eligibility.ViewBitmaps.Part;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import static be.audiencematch.redis.Bytes.bytes;

/**
 * Reads the audience and segment bitmaps a view needs, by name, one shard's parts at a time (each in its shard's
 * slot, with that shard's change number), in calls of at most {@link #MOST_BYTES} each (their sizes
 * asked first with {@code STRLEN}), one call after the other, each call's kept in its smaller form
 * ({@link ViewBitmap#of}) before the next is read. In one call, a replica starting at 10M subscribers with a thousand
 * live audiences made the primary build a reply of over a gigabyte, in its own memory, for one client, and held as
 * much raw in the heap before any was compressed (docs/scaling.md, "What limits each size first"). Compressing takes
 * a few ms a bitmap at 10M, so it runs on a worker thread, not on the Redis client's I/O thread, which other replies
 * share. Reading them at different moments is safe: the view then
 * applies the change stream from the snapshot's change number, and every entry that touches a bitmap either makes
 * the view read it again or clears an erased number, both harmless to repeat (docs/architecture.md, "Eligibility
 * view").
 */
final class ViewBitmapReads {

    /** At most this many bitmap bytes in one reply (a bitmap larger than this comes alone). */
    static final long MOST_BYTES = 64L << 20;

    private final RedisScript read;
    private final Vertx vertx;

    /** Reads parts in one shard, on a connection to its primary. */
    @FunctionalInterface
    interface Shard {
        CompletionStage<Map<String, Part>> read(int shard, Set<String> named);
    }

    ViewBitmapReads(RedisScript read, Vertx vertx) {
        this.read = read;
        this.vertx = vertx;
    }

    /**
     * Every shard's part of each named bitmap, shard 0's first: one shard after the other, so that no more than one
     * call's bytes are in flight at once however many shards there are.
     */
    CompletionStage<Map<String, Part[]>> readEveryShard(int shards, Shard reader, Set<String> named) {
        Map<String, Part[]> out = new ConcurrentHashMap<>();
        if (named.isEmpty()) {
            return CompletableFuture.completedFuture(out);
        }
        named.forEach(name -> out.put(name, new Part[shards]));
        CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
        for (int s = 0; s < shards; s++) {
            int shard = s;
            chain = chain.thenCompose(previous -> reader.read(shard, named)).thenAccept(parts ->
                    parts.forEach((name, part) -> out.get(name)[shard] = part));
        }
        return chain.thenApply(done -> out);
    }

    /**
     * The part of each named bitmap in the shard of {@code stream} (its keys: the name after its prefix), with its
     * change number, read on {@code r} (a connection to that shard's primary).
     */
    CompletionStage<Map<String, Part>> read(RedisAsyncCommands<byte[], byte[]> r, ChangeKeys stream,
                                            Set<String> named) {
        if (named.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        List<String> order = new ArrayList<>(named);
        Map<String, Part> out = new ConcurrentHashMap<>();
        if (order.size() == 1) {
            // One bitmap comes in one call whatever its size: no size to ask (the follower's usual re-read, which a
            // writer's acknowledgement waits for).
            return readBatch(r, stream, order, out).thenApply(done -> out);
        }
        List<RedisFuture<Long>> sizes = new ArrayList<>(order.size());
        for (String key : order) {
            sizes.add(r.strlen(stream.where().key(key)));
        }
        return CompletableFuture.allOf(sizes.stream().map(RedisFuture::toCompletableFuture)
                .toArray(CompletableFuture[]::new)).thenCompose(asked -> {
                    List<List<String>> batches = batches(order, sizes.stream().map(f -> f.toCompletableFuture().join())
                            .toList());
                    CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
                    for (List<String> batch : batches) {
                        chain = chain.thenCompose(previous -> readBatch(r, stream, batch, out));
                    }
                    return chain.thenApply(done -> out);
                });
    }

    /** Consecutive groups whose sizes add up to at most MOST_BYTES (one bitmap over it is a group of its own). */
    static List<List<String>> batches(List<String> keys, List<Long> sizes) {
        List<List<String>> batches = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < keys.size(); i++) {
            long size = sizes.get(i);
            if (!current.isEmpty() && bytes + size > MOST_BYTES) {
                batches.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(keys.get(i));
            bytes += size;
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
    }

    private CompletionStage<Void> readBatch(RedisAsyncCommands<byte[], byte[]> r, ChangeKeys stream,
                                            List<String> batch, Map<String, Part> out) {
        byte[][] k = new byte[batch.size() + 1][];
        k[0] = stream.seq();
        for (int i = 0; i < batch.size(); i++) {
            k[i + 1] = stream.where().key(batch.get(i));
        }
        return read.<List<Object>>run(r, ScriptOutputType.MULTI, k, bytes("bitmaps"))
                .thenCompose(reply -> vertx.<Void>executeBlocking(() -> {
                    long seq = (Long) reply.get(0);
                    for (int i = 0; i < batch.size(); i++) {
                        out.put(batch.get(i), new Part(ViewBitmap.of((byte[]) reply.get(i + 1)), seq));
                    }
                    return null;
                }, false).toCompletionStage());
    }
}
