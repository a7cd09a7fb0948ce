package be.audiencematch.export;

/** Set operations on Redis bitmaps held as bytes (bit n = byte n/8, most significant bit first). */
final class Bits {

    private Bits() {
    }

    private static int at(byte[] bits, int i) {
        return i < bits.length ? bits[i] & 0xff : 0;
    }

    /** How many bits are set in {@code a} and not in {@code b}. */
    static long countAndNot(byte[] a, byte[] b) {
        long count = 0;
        for (int i = 0; i < a.length; i++) {
            count += Integer.bitCount(at(a, i) & ~at(b, i));
        }
        return count;
    }

    /** Walks the numbers set in {@code a} and not in {@code b}, a batch at a time, in ascending order. */
    static final class Cursor {
        private final byte[] a;
        private final byte[] b;
        private int index;
        private int pending;

        Cursor(byte[] a, byte[] b) {
            this.a = a;
            this.b = b;
            this.pending = a.length > 0 ? at(a, 0) & ~at(b, 0) : 0;
        }

        /** Fills {@code out} with up to its length of numbers; 0 at the end. */
        int next(int[] out) {
            int n = 0;
            while (n < out.length && index < a.length) {
                if (pending == 0) {
                    index++;
                    if (index < a.length) {
                        pending = at(a, index) & ~at(b, index);
                    }
                    continue;
                }
                int highest = Integer.numberOfLeadingZeros(pending) - 24;
                out[n++] = index * 8 + highest;
                pending &= ~(0x80 >>> highest);
            }
            return n;
        }
    }
}
