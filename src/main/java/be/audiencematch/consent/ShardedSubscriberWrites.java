package be.audiencematch.consent;

import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.redis.RedisScript;
import io.lettuce.core.ScriptOutputType;
import io.smallrye.mutiny.Uni;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListSet;

import static be.audiencematch.redis.Bytes.bytes;

/**
 * A subscriber's write in a base of several shards, as the sequence docs/scaling.md describes ("A write across
 * shards"): its index entries and household lists live in the shards of their buckets, not in its home shard, so one
 * script cannot write it whole. (1) The home shard writes the record, bits, audit and change entries, and leaves a
 * relink trace ({@code relinking} bit, {@code relink} entry: the records replaced); (2) each shard holding one of the
 * old or new records' index or household buckets drops the old links and puts the new ones ({@code
 * subscriber_links.lua}); (3) the home shard clears the trace, if still its own. Every step is one atomic,
 * idempotent script; a sequence cut short is finished from its trace ({@link RelinkFinisher}).
 */
final class ShardedSubscriberWrites {

    static final RedisScript HOME = RedisScript.load("subscriber_home", "view_lib", "audit_lib", "index_lib",
            "record_lib", "consent_lib", "subscriber_lib", "relink_lib");
    private static final RedisScript LINKS = RedisScript.load("subscriber_links", "view_lib", "index_lib",
            "record_lib", "consent_lib", "subscriber_lib");
    private static final RedisScript LINKED = RedisScript.load("subscriber_linked");
    private static final byte[] NONE = new byte[0];

    /** What step 1 wrote: {@code record} empty after an erasure. */
    record Home(boolean created, int shard, long local, byte[] trace, byte[] record) {
    }

    private final SubscriberStore base;
    private final RedisConnections redis;
    private final KeySpace keys;

    ShardedSubscriberWrites(SubscriberStore base, RedisConnections redis, KeySpace keys) {
        this.base = base;
        this.redis = redis;
        this.keys = keys;
    }

    /** Creates or replaces a subscriber; true when it was new. Answers once every view has every step. */
    Uni<Boolean> upsert(String subscriberId, byte[] tail, byte[] meta) {
        return sequence(subscriberId, tail, meta).map(home -> home.created());
    }

    /** Erases a subscriber from the base; its former global number, or -1 when it was unknown. Does not settle. */
    Uni<Long> erase(String subscriberId) {
        return sequence(subscriberId, NONE, NONE)
                .map(home -> home == null ? -1L : home.local() * keys.shards() + home.shard());
    }

    private Uni<Home> sequence(String subscriberId, byte[] tail, byte[] meta) {
        int home = base.homeShard(subscriberId);
        Set<Integer> touched = new ConcurrentSkipListSet<>(List.of(home));
        return home(home, subscriberId, tail, meta, List.of("hhof"), 1)
                .call(written -> written == null ? Uni.createFrom().voidItem() : link(subscriberId, written, touched))
                .call(written -> base.settled.settle(touched));
    }

    /** Step 1 alone, as a write cut short by a failure leaves it (tests of RelinkFinisher). */
    Uni<Home> firstStepOnly(String subscriberId, byte[] tail, byte[] meta) {
        return home(base.homeShard(subscriberId), subscriberId, tail, meta, List.of("hhof"), 1);
    }

    /** Step 1; null when an erasure found no subscriber. */
    private Uni<Home> home(int shard, String subscriberId, byte[] tail, byte[] meta, List<String> names, int attempt) {
        KeySpace.Keys at = keys.shard(shard);
        int bucket = base.buckets().ofId(subscriberId);
        return base.settled.step(shard, changes -> {
            List<byte[]> k = new ArrayList<>(List.of(base.recordKey(bucket), base.consentTimesKey(bucket)));
            k.addAll(List.of(SubscriberStore.fixedKeys(at, changes)));
            k.add(relinkingKey(at));
            k.add(relinkKey(at));
            List<byte[]> argv = new ArrayList<>(List.of(bytes(subscriberId), tail, meta,
                    bytes(Integer.toString(names.size()))));
            for (String name : names) {
                k.add(at.key(name));
                argv.add(bytes(name));
            }
            return redis.withShared(at.slot(), r -> HOME.<List<Object>>run(r, ScriptOutputType.MULTI,
                    k.toArray(new byte[0][]), argv.toArray(new byte[0][])));
        }).flatMap(reply -> {
            if (reply.get(0) instanceof Long created) {
                return Uni.createFrom().item(created < 0 ? null : new Home(created == 1L, shard,
                        (Long) reply.get(1), (byte[]) reply.get(2), (byte[]) reply.get(3)));
            }
            return home(shard, subscriberId, tail, meta, AskedKeys.again(names, reply, attempt,
                    "the subscriber kept changing during the write"), attempt + 1);
        });
    }

    /**
     * Steps 2 and 3 after step 1 wrote {@code written}. Should a later write own the trace by step 3, the links of the
     * record this write made that the current record does not have are dropped again: a later write's step 2 may
     * have run before this one's.
     */
    Uni<Void> link(String subscriberId, Home written, Set<Integer> touched) {
        return link(List.of(subscriberId), List.of(written), touched);
    }

    /** {@link #link(String, Home, Set)} for several subscribers of one home shard: a call a shard for each step. */
    Uni<Void> link(List<String> subscriberIds, List<Home> written, Set<Integer> touched) {
        List<Linking> linkings = new ArrayList<>(written.size());
        written.forEach(home -> linkings.add(new Linking(globalNumber(home),
                RelinkTrace.decode(home.trace()).oldRecords(), home.record())));
        return links(linkings, touched)
                .flatMap(linked -> linked(subscriberIds, written))
                .flatMap(cleared -> {
                    List<Uni<Void>> heals = new ArrayList<>();
                    for (int i = 0; i < cleared.size(); i++) {
                        if (!cleared.get(i)) {
                            Home home = written.get(i);
                            heals.add(linkAgain(subscriberIds.get(i), home.shard(), home.local(), home.record(),
                                    touched));
                        }
                    }
                    return heals.isEmpty() ? Uni.createFrom().voidItem()
                            : Uni.join().all(heals).andFailFast().replaceWithVoid();
                });
    }

    /**
     * Step 2 again for a subscriber whose write of {@code own} (empty: an erasure) another write took over before it
     * was linked: drops the links of {@code own} that the current record lacks and puts the current record's, at the
     * number the write gave (a record made since under another number, after an erasure, is that number's business).
     */
    Uni<Void> linkAgain(String subscriberId, int shard, long local, byte[] own, Set<Integer> touched) {
        byte[] number = globalNumber(new Home(false, shard, local, NONE, NONE));
        List<byte[]> olds = own.length == 0 ? List.of() : List.of(own);
        return current(subscriberId).flatMap(now -> {
            byte[] same = now.length > 0 && SubscriberRecordFormat.decode(now).number() == local ? now : NONE;
            return links(List.of(new Linking(number, olds, same)), touched);
        });
    }

    /** One subscriber's step 2: its global number as index entries hold it, its old records, its record now. */
    private record Linking(byte[] number, List<byte[]> olds, byte[] record) {
        Set<String> names() {
            Set<String> names = new LinkedHashSet<>();
            olds.forEach(old -> names.addAll(SubscriberRecordFormat.linkNames(old)));
            if (record.length > 0) {
                names.addAll(SubscriberRecordFormat.linkNames(record));
            }
            return names;
        }
    }

    /** Subscribers a step-2 call takes at most (a few milliseconds of Redis). */
    private static final int LINKS_PER_CALL = 256;

    /** Step 2, in every shard holding one of the records' buckets at once. */
    private Uni<Void> links(List<Linking> linkings, Set<Integer> touched) {
        Map<Integer, Map<Linking, List<String>>> byShard = new TreeMap<>();
        for (Linking linking : linkings) {
            for (String name : linking.names()) {
                byShard.computeIfAbsent(base.shardOfName(name), s -> new java.util.LinkedHashMap<>())
                        .computeIfAbsent(linking, l -> new ArrayList<>()).add(name);
            }
        }
        List<Uni<Long>> calls = new ArrayList<>();
        byShard.forEach((shard, here) -> {
            touched.add(shard);
            List<Map.Entry<Linking, List<String>>> all = new ArrayList<>(here.entrySet());
            for (int from = 0; from < all.size(); from += LINKS_PER_CALL) {
                List<Map.Entry<Linking, List<String>>> part = all.subList(from,
                        Math.min(all.size(), from + LINKS_PER_CALL));
                calls.add(base.settled.step(shard, changes -> linksIn(shard, changes, part)));
            }
        });
        return calls.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(calls).andFailFast().replaceWithVoid();
    }

    private Uni<Long> linksIn(int shard, ChangeKeys changes, List<Map.Entry<Linking, List<String>>> part) {
        KeySpace.Keys at = keys.shard(shard);
        List<byte[]> argv = new ArrayList<>(List.of(bytes(Integer.toString(part.size()))));
        Set<String> names = new LinkedHashSet<>();
        for (Map.Entry<Linking, List<String>> entry : part) {
            Linking linking = entry.getKey();
            argv.add(linking.number());
            argv.add(linking.record());
            argv.add(bytes(Integer.toString(linking.olds().size())));
            argv.addAll(linking.olds());
            names.addAll(entry.getValue());
        }
        List<byte[]> k = new ArrayList<>(List.of(changes.seq(), changes.stream(), changes.viewKey()));
        argv.add(bytes(Integer.toString(names.size())));
        for (String name : names) {
            k.add(at.key(name));
            argv.add(bytes(name));
        }
        return redis.withShared(at.slot(), r -> LINKS.run(r, ScriptOutputType.INTEGER, k.toArray(new byte[0][]),
                argv.toArray(new byte[0][])));
    }

    /** Step 3 for subscribers of one home shard: for each, whether its trace was cleared (false: a later write's). */
    private Uni<List<Boolean>> linked(List<String> subscriberIds, List<Home> written) {
        KeySpace.Keys at = keys.shard(written.get(0).shard());
        List<byte[]> k = new ArrayList<>(List.of(relinkingKey(at), relinkKey(at)));
        List<byte[]> argv = new ArrayList<>();
        for (int i = 0; i < written.size(); i++) {
            Home home = written.get(i);
            k.add(base.recordKey(base.buckets().ofId(subscriberIds.get(i))));
            argv.addAll(List.of(bytes(subscriberIds.get(i)), bytes(Long.toString(home.local())), home.record(),
                    home.trace()));
        }
        return redis.withShared(at.slot(), r -> LINKED.<List<Long>>run(r, ScriptOutputType.MULTI,
                k.toArray(new byte[0][]), argv.toArray(new byte[0][])))
                .map(cleared -> cleared.stream().map(c -> c == 1L).toList());
    }

    /** The subscriber's record now (empty when there is none). */
    Uni<byte[]> current(String subscriberId) {
        KeySpace.Keys at = keys.shard(base.homeShard(subscriberId));
        return redis.withShared(at.slot(), r -> r.hget(base.recordKey(base.buckets().ofId(subscriberId)),
                bytes(subscriberId))).map(record -> record == null ? NONE : record);
    }

    /** The number as index entries and household lists hold it: u32 of l × S + s. */
    private byte[] globalNumber(Home written) {
        long g = written.local() * keys.shards() + written.shard();
        return ByteBuffer.allocate(4).putInt((int) g).array();
    }

    /** Bit l while shard's subscriber l is between the first and last step of a write. */
    static byte[] relinkingKey(KeySpace.Keys shard) {
        return shard.key("relinking");
    }

    /** Local number → relink trace (RelinkTrace). */
    static byte[] relinkKey(KeySpace.Keys shard) {
        return shard.key("relink");
    }
}
