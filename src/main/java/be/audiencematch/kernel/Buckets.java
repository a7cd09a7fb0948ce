package be.audiencematch.kernel;

import java.nio.charset.StandardCharsets;

/**
 * Spreads many small entries over 2^bits Redis hashes per family: few enough that the per-key overhead stays small,
 * many enough that each hash stays a compact listpack of about 30-150 entries (every look-up scans one). About 32
 * entries a bucket suit a small base; a 10M base wants 17 bits (docs/architecture.md). The choice is fixed when a
 * base is first loaded.
 *
 * <p>A bucket is named by 4 hex digits up to 16 bits. Beyond that, by the 4 hex digits of its top 16 bits and one
 * more for the rest: a subscriber's record keeps an identifier's top 16 bucket bits, and the scripts take the rest
 * from the index field (digest byte 2), which holds them anyway. Household buckets stay at 16 bits at most: a record
 * keeps its household's bucket in two bytes, and a household has no digest to take more bits from.
 */
public record Buckets(int bits) {

    public static final int DEFAULT_BITS = 16;
    public static final int MAX_BITS = 20;

    /** The bucket bits a record keeps in two bytes; more come from the index field. */
    private static final int STORED_BITS = 16;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    public Buckets {
        if (bits < 8 || bits > MAX_BITS) {
            throw new IllegalArgumentException("bucket bits must be between 8 and " + MAX_BITS);
        }
    }

    /** The buckets of households: these bits, at most 16. */
    public Buckets households() {
        return bits <= STORED_BITS ? this : new Buckets(STORED_BITS);
    }

    /** Bucket bits beyond the 16 a record keeps (0 to 4). */
    public int extraBits() {
        return Math.max(0, bits - STORED_BITS);
    }

    /** Bucket of a free-form id (subscriber, household): FNV-1a over its UTF-8 bytes, spread over the bucket bits. */
    public int ofId(String id) {
        return ofHash(fnv1a(id));
    }

    /**
     * The bucket of an id whose {@link #fnv1a} is {@code h}. Up to 16 bits, the hash folded to 16 bits (as every base
     * laid out so far has it); beyond, the top bits of a multiplicative (Fibonacci) hash of it.
     */
    public int ofHash(int h) {
        if (bits <= STORED_BITS) {
            return ((h ^ (h >>> 16)) & 0xffff) >>> (16 - bits);
        }
        return (h * 0x9e3779b1) >>> (32 - bits);
    }

    /** 32-bit FNV-1a over {@code length} bytes from {@code from}. */
    public static int fnv1a(byte[] bytes, int from, int length) {
        int h = 0x811c9dc5;
        for (int i = from; i < from + length; i++) {
            h ^= bytes[i] & 0xff;
            h *= 0x01000193;
        }
        return h;
    }

    /** 32-bit FNV-1a over the UTF-8 bytes of {@code value}. */
    public static int fnv1a(String value) {
        int h = 0x811c9dc5;
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        return h;
    }

    /** Bucket of a digest: its leading bits (already uniform). */
    public int ofDigest(byte[] digest) {
        return ofDigest(digest[0], digest[1], digest[2]);
    }

    /** Bucket of a digest whose first three bytes are these. */
    public int ofDigest(byte first, byte second, byte third) {
        return (((first & 0xff) << 16) | ((second & 0xff) << 8) | (third & 0xff)) >>> (24 - bits);
    }

    /** What a record keeps of an index bucket (two bytes): its top 16 bits. */
    public int stored(int bucket) {
        return bucket >>> extraBits();
    }

    /** How long a bucket's {@link #name} is: 4, or 5 beyond 16 bits. */
    public int nameLength() {
        return extraBits() == 0 ? 4 : 5;
    }

    /** The bucket a {@link #name} names. */
    public int parse(String name) {
        int top = Integer.parseInt(name.substring(0, 4), 16);
        int extra = extraBits();
        return extra == 0 ? top : top << extra | Integer.parseInt(name.substring(4, 5), 16);
    }

    /** The bucket's part of its key: 4 hex digits of its top 16 bits, then one for the rest, if any. */
    public String name(int bucket) {
        int extra = extraBits();
        int top = bucket >>> extra;
        char[] name = new char[nameLength()];
        name[0] = HEX[(top >> 12) & 0xf];
        name[1] = HEX[(top >> 8) & 0xf];
        name[2] = HEX[(top >> 4) & 0xf];
        name[3] = HEX[top & 0xf];
        if (extra > 0) {
            name[4] = HEX[bucket & ((1 << extra) - 1)];
        }
        return new String(name);
    }
}
