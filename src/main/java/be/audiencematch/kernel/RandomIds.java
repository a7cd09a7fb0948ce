package be.audiencematch.kernel;

import java.security.SecureRandom;

/** Unguessable ids for audiences, campaigns and export cursors: 20 characters of an unambiguous alphabet. */
public final class RandomIds {

    private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private RandomIds() {
    }

    /** {@code length} random characters (5 bits each). */
    public static String random(int length) {
        char[] id = new char[length];
        for (int i = 0; i < length; i++) {
            id[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(id);
    }

    /** A prefixed id, such as {@code aud_…} or {@code cmp_…}: 100 random bits. */
    public static String next(String prefix) {
        return prefix + random(20);
    }
}
