package be.audiencematch.consent;

import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.PackedArgs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A bulk chunk's step-1 calls, encoded: bulk_records.lua's keys (the fixed ones, the runs' record buckets, the keys
 * it is told about by name) and arguments, for a slice of the chunk's lines in record-bucket order.
 */
final class BulkRecordCalls {

    private final SubscriberStore store;
    private final BulkLines lines;
    private final ChangeKeys changes;
    /**
     * The shard the calls write in: its fixed keys and the keys named by name (the home shard in a sharded base); null
     * for the base's one shard.
     */
    private final KeySpace.Keys shard;

    BulkRecordCalls(SubscriberStore store, BulkLines lines, ChangeKeys changes) {
        this(store, lines, null, changes);
    }

    /**
     * The calls of one home shard of a base of several (ShardedBulk): the links live in other shards, so the script
     * leaves them to the caller (bulk_records.lua, '2').
     */
    BulkRecordCalls(SubscriberStore store, BulkLines lines, KeySpace.Keys shard, ChangeKeys changes) {
        this.store = store;
        this.lines = lines;
        this.shard = shard;
        this.changes = changes;
    }

    /**
     * The keys a record call names besides the fixed ones: the {@code am:hhof} blocks of the numbers it expects and,
     * with {@code nameLinks}, the index buckets its lines link to and the change times beside their record buckets:
     * what replacing a subscriber with the same identifiers and household touches (a feed sent again). A replacement
     * that moves a subscriber asks for the rest (its household buckets, its old identifiers' buckets).
     */
    List<String> names(int[] positions, int[] bucketOf, long expected, boolean nameLinks) {
        Set<String> names = new LinkedHashSet<>();
        names.add(SubscriberStore.householdTagsName((int) expected));
        names.add(SubscriberStore.householdTagsName((int) (expected + positions.length - 1)));
        if (nameLinks) {
            int bits = lines.buckets.bits();
            for (int p : positions) {
                names.add("consent-times:" + lines.buckets.name(bucketOf[p]));
                for (int k = lines.identifierStart(p); k < lines.identifierEnd(p); k++) {
                    int family = lines.family(k * BulkLines.IDENTIFIER_BYTES, bits);
                    names.add("ix:" + (char) BulkLines.TYPES[family >>> bits].code() + ":"
                            + lines.buckets.name(family & ((1 << bits) - 1)));
                }
            }
        }
        return new ArrayList<>(names);
    }

    /** bulk_records.lua's arguments for these positions (in bucket order): keys, then the rest. */
    PackedArgs args(int[] positions, int[] bucketOf, long firstNumber, List<String> names, boolean nameLinks) {
        int n = positions.length;
        PackedArgs args = new PackedArgs(n * 96);
        int keys = 0;
        KeySpace.Keys shard = this.shard != null ? this.shard : store.one();
        for (byte[] key : SubscriberStore.fixedKeys(shard, changes)) {
            args.add(key);
            keys++;
        }
        for (int start = 0; start < n; start = BulkLines.runEnd(positions, start, bucketOf)) {
            args.add(store.recordKey(bucketOf[positions[start]]));
            keys++;
        }
        for (String name : names) {
            args.add(shard.key(name));
            keys++;
        }
        args.keys(keys).addDecimal(n);
        masks(args, positions);
        tags(args, positions);
        for (int bit = 1; bit <= 4; bit <<= 1) {
            consentWords(args, positions, bit);
        }
        args.addDecimal(firstNumber).addDecimal(names.size());
        for (String name : names) {
            args.add(name.getBytes(StandardCharsets.UTF_8));
        }
        args.addDecimal(this.shard != null ? 2 : nameLinks ? 1 : 0);
        // Loops in methods of their own, each small: one long method with all of them inlined cost the compiler
        // more than the load it sped up (four C2 compilations of ~0.2 s each, most of them on-stack replacements).
        int key = SubscriberStore.FIXED_KEYS + 1;
        for (int start = 0; start < n; key++) {
            int end = BulkLines.runEnd(positions, start, bucketOf);
            args.addDecimal(key).addDecimal(end - start);
            recordRun(args, positions, start, end, firstNumber);
            start = end;
        }
        return args;
    }

    private void masks(PackedArgs args, int[] positions) {
        args.begin(positions.length);
        for (int p : positions) {
            args.put((byte) ('0' + lines.consents[p]));
        }
        args.end();
    }

    private void tags(PackedArgs args, int[] positions) {
        args.begin(4 * positions.length);
        for (int p : positions) {
            args.putInt(lines.householdTag(p));
        }
        args.end();
    }

    /** Positions [start, end) of one record bucket: id, then record. */
    private void recordRun(PackedArgs args, int[] positions, int start, int end, long firstNumber) {
        for (int j = start; j < end; j++) {
            int p = positions[j];
            args.add(lines.ids, lines.idStart(p), lines.idEnd(p) - lines.idStart(p));
            writeRecord(args, p, firstNumber + j);
        }
    }

    /** One consent's bits for the positions in order, as u32 words (the last one as wide as what is left). */
    private void consentWords(PackedArgs args, int[] positions, int bit) {
        int words = (positions.length + 31) / 32;
        args.begin(4 * words);
        for (int w = 0; w < words; w++) {
            int value = 0;
            int width = Math.min(32, positions.length - 32 * w);
            for (int j = 0; j < width; j++) {
                value = (value << 1) | ((lines.consents[positions[32 * w + j]] & bit) != 0 ? 1 : 0);
            }
            args.putInt(value);
        }
        args.end();
    }

    /** Room for the largest record tail (SubscriberRecordFormat), reused for every line. */
    private final byte[] tail = new byte[SubscriberRecordFormat.MAX_TAIL_BYTES];

    /** Line p's record with the given number (SubscriberRecordFormat: u32, then the tail). */
    private void writeRecord(PackedArgs args, int p, long number) {
        int length = lines.tailInto(p, tail);
        args.begin(SubscriberRecordFormat.NUMBER_BYTES + length).putInt((int) number).put(tail, 0, length).end();
    }
}
