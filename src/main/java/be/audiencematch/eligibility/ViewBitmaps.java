package be.audiencematch.eligibility;

import be.audiencematch.campaign.EligibilityRule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The audience and segment bitmaps of a replica's {@link EligibilityView}, by name, one part a shard: part s is shard
 * s's bitmap of that name, by local number, so global number g is bit g div S of part g mod S (docs/scaling.md,
 * "Numbers"; docs/architecture.md, "Eligibility view"). The follower writes (each method that changes something holds
 * this object's lock); the hot path reads {@link #named} from any event loop without a lock: an array once in the map
 * is never changed, a new part puts a new array.
 * <p>
 * Parts are read at different moments, and the part a shard's stream asks to read again may be read while a new
 * rule's parts are read from every shard; so each part keeps its shard's change number when read, and an older read
 * never replaces a newer one. A part read before an erasure and put after it has the erased number cleared when put
 * ({@link #startReading}), as the parts already in had it cleared when the erasure was applied.
 */
final class ViewBitmaps {

    /** One shard's part of a named bitmap, with that shard's change number when it was read (view_read.lua). */
    record Part(ViewBitmap bits, long seq) {
    }

    private final int shards;
    private final Map<String, ViewBitmap[]> bitmaps = new ConcurrentHashMap<>();
    /** By name, each part's change number when read (guarded by this); -1 until read. */
    private final Map<String, long[]> readAt = new HashMap<>();
    /** Reads of parts under way (guarded by this); while there are, erased numbers are noted below. */
    private int reading;
    /** Global numbers erased while parts were being read (guarded by this). */
    private final List<Integer> erasedWhileReading = new ArrayList<>();

    ViewBitmaps(int shards) {
        this.shards = shards;
    }

    /** Starts over with these bitmaps, each one's parts shard 0's first. */
    synchronized void reset(Map<String, Part[]> loaded) {
        bitmaps.clear();
        readAt.clear();
        reading = 0;
        erasedWhileReading.clear();
        loaded.forEach((name, parts) -> {
            ViewBitmap[] bits = new ViewBitmap[shards];
            long[] at = new long[shards];
            for (int s = 0; s < shards; s++) {
                bits[s] = parts[s].bits();
                at[s] = parts[s].seq();
            }
            readAt.put(name, at);
            bitmaps.put(name, bits);
        });
    }

    /**
     * An erased subscriber (global number): clears its bit, in the part of its shard at its local number, in every
     * bitmap held. Its consent bits went with the erasure itself; without this, the bit would linger in the copies
     * until the bitmap is read again, which may be never. A raw part changes in place (a byte write, safe for
     * readers); a compressed one that holds the number is replaced by a copy without it (readers may be inside it).
     */
    synchronized void clearErased(int number) {
        int shard = number % shards;
        int local = number / shards;
        for (Map.Entry<String, ViewBitmap[]> entry : bitmaps.entrySet()) {
            ViewBitmap[] parts = entry.getValue();
            ViewBitmap after = parts[shard].without(local);
            if (after != parts[shard]) {
                ViewBitmap[] next = parts.clone();
                next[shard] = after;
                entry.setValue(next);
            }
        }
        if (reading > 0) {
            erasedWhileReading.add(number);
        }
    }

    /**
     * Notes that parts are about to be read; answers the mark to {@link #put} them with. Each call is followed by one
     * {@link #doneReading()} once they are put.
     */
    synchronized int startReading() {
        reading++;
        return erasedWhileReading.size();
    }

    synchronized void doneReading() {
        if (reading > 0 && --reading == 0) {
            erasedWhileReading.clear();
        }
    }

    /**
     * Makes room for bitmaps about to be read from every shard, each part empty until read: from now on the change
     * entries that name them are applied to them (a part read again, an erased number), so that none is missed
     * between the read and the put.
     */
    synchronized void expect(Set<String> names) {
        for (String name : names) {
            if (!bitmaps.containsKey(name)) {
                ViewBitmap[] parts = new ViewBitmap[shards];
                Arrays.fill(parts, ViewBitmap.EMPTY);
                long[] at = new long[shards];
                Arrays.fill(at, -1);
                readAt.put(name, at);
                bitmaps.put(name, parts);
            }
        }
    }

    /**
     * Keeps shard {@code shard}'s part of bitmap {@code name}, read after {@link #startReading()} answered
     * {@code mark}, with the numbers erased since cleared; unless a newer read of it is in, or the bitmap is no
     * longer held (no rule names it any more).
     */
    synchronized void put(String name, int shard, Part part, int mark) {
        ViewBitmap[] parts = bitmaps.get(name);
        long[] at = readAt.get(name);
        if (parts == null || part.seq() < at[shard]) {
            return;
        }
        ViewBitmap bits = part.bits();
        for (int i = mark; i < erasedWhileReading.size(); i++) {
            int erased = erasedWhileReading.get(i);
            if (erased % shards == shard) {
                bits = bits.without(erased / shards);
            }
        }
        ViewBitmap[] next = parts.clone();
        next[shard] = bits;
        at[shard] = part.seq();
        bitmaps.put(name, next);
    }

    /** Keeps a bitmap of a base of one shard, compressed when that is much smaller (for tests). */
    synchronized void put(String name, byte[] bits) {
        if (shards != 1) {
            throw new IllegalStateException("a bitmap of a sharded base comes in parts");
        }
        expect(Set.of(name));
        put(name, 0, new Part(ViewBitmap.of(bits), 0), erasedWhileReading.size());
    }

    /** How many shards each bitmap has a part in. */
    int shards() {
        return shards;
    }

    boolean has(String name) {
        return bitmaps.containsKey(name);
    }

    /** Drops the bitmaps not named. */
    synchronized void retainOnly(Set<String> named) {
        bitmaps.keySet().retainAll(named);
        readAt.keySet().retainAll(named);
    }

    /** Shard {@code shard}'s part of a bitmap, empty when none is held (for tests). */
    ViewBitmap part(String name, int shard) {
        ViewBitmap[] parts = bitmaps.get(name);
        return parts == null ? ViewBitmap.EMPTY : parts[shard];
    }

    /** How many bitmaps are held. */
    int size() {
        return bitmaps.size();
    }

    /**
     * The heap the parts take (ViewBitmap.sizeInBytes), for the gauge operators alert on before the heap fills
     * (docs/operations.md, "Scale"). Summed on each scrape: a few thousand parts a shard at most.
     */
    long bytes() {
        long total = 0;
        for (ViewBitmap[] parts : bitmaps.values()) {
            for (ViewBitmap bits : parts) {
                total += bits.sizeInBytes();
            }
        }
        return total;
    }

    /** A bitmap by global number (the hot path): the part of the number's shard, at its local number. */
    EligibilityRule.Bits named(String name) {
        ViewBitmap[] parts = bitmaps.get(name);
        if (parts == null) {
            return ViewBitmap.EMPTY;
        }
        if (parts.length == 1) {
            // A base of one shard: the part itself, no indirection.
            return parts[0];
        }
        return n -> parts[n % parts.length].has(n / parts.length);
    }
}
