package be.audiencematch.identity;

/**
 * Classifies uploaded rows without building strings, so a million-row upload costs no per-row garbage. A row is
 * never kept, logged or echoed: callers learn only its {@link RowKind} and, when valid, its digest.
 */
public final class HashedRows {

    private static final int HEX_LENGTH = HashedIdentifier.DIGEST_BYTES * 2;
    private static final int MIN_PHONE_DIGITS = 7;
    private static final int MAX_PHONE_DIGITS = 15;

    private HashedRows() {
    }

    /**
     * Classifies {@code row[from, to)}; surrounding white space is ignored. When the row is valid, its digest is
     * written to {@code digest} (32 bytes).
     */
    public static RowKind classify(byte[] row, int from, int to, byte[] digest) {
        while (from < to && isSpace(row[from])) {
            from++;
        }
        while (to > from && isSpace(row[to - 1])) {
            to--;
        }
        if (from == to) {
            return RowKind.BLANK;
        }
        if (to - from == HEX_LENGTH && decodeHex(row, from, digest)) {
            return RowKind.VALID;
        }
        return looksLikePlainText(row, from, to) ? RowKind.PLAINTEXT : RowKind.INVALID;
    }

    public static RowKind classify(String row, byte[] digest) {
        byte[] bytes = row.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return classify(bytes, 0, bytes.length, digest);
    }

    /** True for 64 hex characters in either case. */
    public static boolean isDigestHex(String value) {
        return value != null && value.length() == HEX_LENGTH
                && classify(value, new byte[HashedIdentifier.DIGEST_BYTES]) == RowKind.VALID;
    }

    /** True when the value would be a clear-text e-mail address or phone number. */
    public static boolean looksLikePlainText(String value) {
        byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return looksLikePlainText(bytes, 0, bytes.length);
    }

    private static boolean looksLikePlainText(byte[] row, int from, int to) {
        int digits = 0;
        boolean phoneCharactersOnly = true;
        for (int i = from; i < to; i++) {
            byte b = row[i];
            if (b == '@') {
                return true;
            }
            if (b >= '0' && b <= '9') {
                digits++;
            } else if (!(b == '+' || b == ' ' || b == '-' || b == '.' || b == '/' || b == '(' || b == ')')) {
                phoneCharactersOnly = false;
            }
        }
        return phoneCharactersOnly && digits >= MIN_PHONE_DIGITS && digits <= MAX_PHONE_DIGITS;
    }

    /** Decodes 64 hex characters at {@code from} into {@code digest}; false if any is not hex. */
    public static boolean decodeHex(byte[] row, int from, byte[] digest) {
        for (int i = 0; i < HashedIdentifier.DIGEST_BYTES; i++) {
            int hi = hexValue(row[from + 2 * i]);
            int lo = hexValue(row[from + 2 * i + 1]);
            if ((hi | lo) < 0) {
                return false;
            }
            digest[i] = (byte) ((hi << 4) | lo);
        }
        return true;
    }

    /** Value of each byte as a hex digit, -1 where it is none: one load per character on the upload paths. */
    private static final byte[] HEX_VALUES = new byte[256];

    static {
        java.util.Arrays.fill(HEX_VALUES, (byte) -1);
        for (int i = 0; i < 10; i++) {
            HEX_VALUES['0' + i] = (byte) i;
        }
        for (int i = 0; i < 6; i++) {
            HEX_VALUES['a' + i] = (byte) (10 + i);
            HEX_VALUES['A' + i] = (byte) (10 + i);
        }
    }

    private static int hexValue(byte b) {
        return HEX_VALUES[b & 0xff];
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }
}
