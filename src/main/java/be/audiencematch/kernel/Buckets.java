package be.audiencematch.kernel;

import java.nio.charset.StandardCharsets;

/**
 * Spreads many small entries over 65,536 Redis hashes per family, small enough to stay listpack-encoded (compact)
 * and numerous enough that a 10M base keeps each under a few hundred entries. See docs/architecture.md.
 */
public final class Buckets {

    public static final int BITS = 16;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Buckets() {
    }

    /** Bucket of a free-form id (subscriber, household): FNV-1a over its UTF-8 bytes, folded to 16 bits. */
    public static int ofId(String id) {
        int h = 0x811c9dc5;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        return (h ^ (h >>> 16)) & 0xffff;
    }

    /** Bucket of a digest: its first two bytes (already uniform). */
    public static int ofDigest(byte[] digest) {
        return ((digest[0] & 0xff) << 8) | (digest[1] & 0xff);
    }

    public static String hex(int bucket) {
        return new String(new char[] {HEX[(bucket >> 12) & 0xf], HEX[(bucket >> 8) & 0xf],
            HEX[(bucket >> 4) & 0xf], HEX[bucket & 0xf]});
    }
}
