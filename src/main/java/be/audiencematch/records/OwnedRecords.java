package be.audiencematch.records;

import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;

import static be.audiencematch.redis.Bytes.bytes;
import static be.audiencematch.redis.Bytes.str;

/**
 * Records (audiences, campaigns) that expire on their own and are listed through sets of ids: reading a set gives
 * the live records, and ids whose record expired are removed from the sets on the way. Domain code over the Redis
 * client, kept out of {@code redis/} (which is the client and script running only) so that the packages depend on
 * each other one way: records → changes → redis.
 */
public final class OwnedRecords {

    private static final RedisScript CREATE = RedisScript.load("owned_record_create", "view_lib", "rule_lib");

    private OwnedRecords() {
    }

    /** Writes a record that expires at {@code expiresAt} and adds its id to its owner's set and to {@code allSet}. */
    public static CompletionStage<Long> create(RedisAsyncCommands<byte[], byte[]> r, byte[] recordKey, byte[] ownerSet,
                                               byte[] allSet, String id, java.time.Instant expiresAt,
                                               Map<String, String> fields) {
        return create(r, recordKey, ownerSet, allSet, null, null, null, id, expiresAt, fields);
    }

    /**
     * As {@link #create}, and in the same atomic step keeps {@code digest} under the id in {@code digestHash}: a
     * compact copy of what a hot path reads, which {@link #live} drops with the id once the record has expired.
     */
    public static CompletionStage<Long> create(RedisAsyncCommands<byte[], byte[]> r, byte[] recordKey, byte[] ownerSet,
                                               byte[] allSet, byte[] digestHash, byte[] digest, ChangeKeys changes, String id,
                                               java.time.Instant expiresAt, Map<String, String> fields) {
        List<byte[]> args = new ArrayList<>(3 + fields.size() * 2);
        args.add(bytes(id));
        args.add(bytes(Long.toString(expiresAt.toEpochMilli())));
        args.add(digest == null ? new byte[0] : digest);
        fields.forEach((k, v) -> {
            args.add(bytes(k));
            args.add(bytes(v));
        });
        byte[][] keys = digestHash == null ? new byte[][] {recordKey, ownerSet, allSet}
                : new byte[][] {recordKey, ownerSet, allSet, digestHash, changes.seq(), changes.stream()};
        return CREATE.run(r, io.lettuce.core.ScriptOutputType.INTEGER, keys, args.toArray(new byte[0][]));
    }

    /**
     * The live records whose ids {@code ownerSet} holds, parsed; expired ids are removed from {@code ownerSet} and
     * from every set in {@code alsoIndexedIn}.
     */
    public static <T> CompletionStage<List<T>> live(RedisAsyncCommands<byte[], byte[]> r, byte[] ownerSet,
                                                    List<byte[]> alsoIndexedIn, Function<String, byte[]> recordKey,
                                                    BiFunction<String, Map<byte[], byte[]>, T> parse) {
        return live(r, ownerSet, alsoIndexedIn, null, recordKey, parse);
    }

    /** As {@link #live}, and drops an expired record's digest from {@code digestHash} (see {@link #create}). */
    public static <T> CompletionStage<List<T>> live(RedisAsyncCommands<byte[], byte[]> r, byte[] ownerSet,
                                                    List<byte[]> alsoIndexedIn, byte[] digestHash,
                                                    Function<String, byte[]> recordKey,
                                                    BiFunction<String, Map<byte[], byte[]>, T> parse) {
        return r.smembers(ownerSet).thenCompose(ids -> {
            List<byte[]> idList = new ArrayList<>(ids);
            List<CompletableFuture<Map<byte[], byte[]>>> records = new ArrayList<>(idList.size());
            idList.forEach(id -> records.add(r.hgetall(recordKey.apply(str(id))).toCompletableFuture()));
            return CompletableFuture.allOf(records.toArray(new CompletableFuture[0])).thenApply(done -> {
                List<T> live = new ArrayList<>();
                for (int i = 0; i < idList.size(); i++) {
                    Map<byte[], byte[]> fields = records.get(i).join();
                    if (fields.isEmpty()) {
                        r.srem(ownerSet, idList.get(i));
                        for (byte[] set : alsoIndexedIn) {
                            r.srem(set, idList.get(i));
                        }
                        if (digestHash != null) {
                            r.hdel(digestHash, idList.get(i));
                        }
                    } else {
                        live.add(parse.apply(str(idList.get(i)), fields));
                    }
                }
                return live;
            });
        });
    }
}
