package be.audiencematch.kernel;

import java.security.SecureRandom;

/** Unguessable ids for audiences, campaigns and export cursors: 20 characters of an unambiguous alphabet. */
public final class RandomIds {

    private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();
    private static final String ALPHABET_INDEX = new String(ALPHABET);
    private static final int LENGTH = 20;
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
        return prefix + random(LENGTH);
    }

    /** Whether {@code id} could have come from {@link #next} with this prefix (checked before it names a key). */
    public static boolean isId(String prefix, String id) {
        if (id == null || id.length() != prefix.length() + LENGTH || !id.startsWith(prefix)) {
            return false;
        }
        for (int i = prefix.length(); i < id.length(); i++) {
            if (ALPHABET_INDEX.indexOf(id.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }
}
