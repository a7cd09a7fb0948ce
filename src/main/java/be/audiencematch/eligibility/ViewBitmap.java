package be.audiencematch.eligibility;

import be.audiencematch.campaign.EligibilityRule;
import org.roaringbitmap.BitSetUtil;
import org.roaringbitmap.RoaringBitmap;

import java.nio.ByteBuffer;

/**
 * The view's copy of one audience or segment bitmap in one shard (by local number), in whichever form is smaller: the raw Redis bytes, or a
 * RoaringBitmap when the bitmap is sparse (an advertiser audience of a few thousand members over millions of numbers
 * is ~2 bytes a member instead of N/8 bytes; docs/architecture.md, "Eligibility view", and docs/scaling.md,
 * "Eligibility: throughput and heap per replica"). Written by the follower, read by every event loop without a lock:
 * raw bytes change only a byte at a time, a compressed bitmap never changes once built (an erasure makes a copy).
 */
sealed interface ViewBitmap extends EligibilityRule.Bits permits ViewBitmap.Raw, ViewBitmap.Compressed {

    /** A missing bitmap: nobody in it. */
    ViewBitmap EMPTY = new Raw(new byte[0]);

    /**
     * Heap of a RoaringBitmap container beyond what getSizeInBytes counts (object and array headers, references),
     * measured on JDK 17 with compressed references: docs/experiments/ViewBitmapMicro.java.
     */
    long CONTAINER_BYTES = 44;

    /** Whether subscriber number {@code n}'s bit is set (allocation-free: the hot path asks this per member). */
    @Override
    boolean has(int n);

    /**
     * This bitmap without number {@code n}: the raw form clears the bit in place (a byte write, safe for readers) and
     * is itself; the compressed form is a new copy when it held {@code n}, itself otherwise.
     */
    ViewBitmap without(int n);

    /** Heap the bitmap's bits take: its length raw; compressed, RoaringBitmap's size and its containers' objects. */
    long sizeInBytes();

    /**
     * The smaller form of a Redis bitmap: compressed when that takes under half the raw length, raw otherwise
     * (a dense segment gains nothing compressed and reads a little slower). About 2 bytes a member compressed, so at
     * 10M subscribers an audience of up to ~300k scattered members.
     */
    static ViewBitmap of(byte[] bits) {
        if (bits.length == 0) {
            return EMPTY;
        }
        Compressed compressed = compressed(bits);
        return compressed.sizeInBytes() < bits.length / 2 ? compressed : new Raw(bits);
    }

    /** The compressed form, whatever its size. */
    static Compressed compressed(byte[] bits) {
        RoaringBitmap numbers = BitSetUtil.bitmapOf(words(bits));
        numbers.runOptimize();
        return new Compressed(numbers, heapOf(numbers));
    }

    /**
     * RoaringBitmap's own size counts the members' bytes, not the objects around them: each container (one per 65,536
     * numbers that holds a member) adds about 44 bytes of heap, which outweighs the members in a very sparse bitmap
     * (a 100k-member audience over 1B numbers: 0.29 MB counted, 0.97 MB of heap, measured on JDK 17).
     */
    private static long heapOf(RoaringBitmap numbers) {
        return numbers.getLongSizeInBytes() + CONTAINER_BYTES * numbers.getContainerCount();
    }

    /**
     * The Redis bitmap as java.util.BitSet's words: Redis numbers the bits of a byte from its highest (bit n is
     * {@code 0x80 >>> (n & 7)} of byte {@code n >>> 3}), BitSet from the lowest bit of a little-endian word, so each
     * big-endian 8-byte word is bit-reversed whole.
     */
    private static long[] words(byte[] bits) {
        long[] words = new long[(bits.length + 7) >>> 3];
        ByteBuffer in = ByteBuffer.wrap(bits);
        int whole = bits.length >>> 3;
        for (int i = 0; i < whole; i++) {
            words[i] = Long.reverse(in.getLong());
        }
        if (whole < words.length) {
            long last = 0;
            for (int b = 0; b < 8; b++) {
                last = last << 8 | (in.hasRemaining() ? in.get() & 0xFF : 0);
            }
            words[whole] = Long.reverse(last);
        }
        return words;
    }

    /** The Redis bytes as read. */
    record Raw(byte[] bits) implements ViewBitmap {

        @Override
        public boolean has(int n) {
            int at = n >>> 3;
            return at < bits.length && (bits[at] & (0x80 >>> (n & 7))) != 0;
        }

        @Override
        public ViewBitmap without(int n) {
            int at = n >>> 3;
            if (at < bits.length) {
                bits[at] &= (byte) ~(0x80 >>> (n & 7));
            }
            return this;
        }

        @Override
        public long sizeInBytes() {
            return bits.length;
        }
    }

    /** A sparse bitmap; never changed once built, so readers need no lock. {@code heapBytes}: see heapOf(). */
    record Compressed(RoaringBitmap numbers, long heapBytes) implements ViewBitmap {

        @Override
        public boolean has(int n) {
            return numbers.contains(n);
        }

        @Override
        public ViewBitmap without(int n) {
            if (!numbers.contains(n)) {
                return this;
            }
            // Copy-on-write: readers may be inside the old one.
            RoaringBitmap copy = numbers.clone();
            copy.remove(n);
            return new Compressed(copy, heapOf(copy));
        }

        @Override
        public long sizeInBytes() {
            return heapBytes;
        }
    }
}
