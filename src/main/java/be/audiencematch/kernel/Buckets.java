package be.audiencematch.kernel;

import java.nio.charset.StandardCharsets;

/**
 * Spreads many small entries over 2^bits Redis hashes per family: few enough that the per-key overhead stays small,
 * many enough that each hash stays a compact listpack of about 50-200 entries. 16 bits suit a 10M base, 14 bits a
 * 1M base (docs/architecture.md); the choice is fixed when a base is first loaded.
 */
public record Buckets(int bits) {

    public static final int DEFAULT_BITS = 16;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    public Buckets {
        if (bits < 8 || bits > 16) {
            throw new IllegalArgumentException("bucket bits must be between 8 and 16");
        }
    }

    /** Bucket of a free-form id (subscriber, household): FNV-1a over its UTF-8 bytes, folded to the bucket bits. */
    public int ofId(String id) {
        return ofHash(fnv1a(id));
    }

    /** The bucket of an id whose {@link #fnv1a} is {@code h}. */
    public int ofHash(int h) {
        return ((h ^ (h >>> 16)) & 0xffff) >>> (16 - bits);
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
        return (((digest[0] & 0xff) << 8) | (digest[1] & 0xff)) >>> (16 - bits);
    }

    public static String hex(int bucket) {
        return new String(new char[] {HEX[(bucket >> 12) & 0xf], HEX[(bucket >> 8) & 0xf],
            HEX[(bucket >> 4) & 0xf], HEX[bucket & 0xf]});
    }
}
