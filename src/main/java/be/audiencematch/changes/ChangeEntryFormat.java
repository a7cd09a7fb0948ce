package be.audiencematch.changes;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A change entry of {@code {p}view:changes}, what every replica's eligibility view applies: the only Java code that
 * reads one. Entries are written in Lua only, by {@code view_lib.lua} ({@code view_note} and the value encoders
 * beside it); ChangeEntryFormatTest has the Lua side write every kind and this class read them back
 * (docs/architecture.md, "Eligibility view").
 * <p>
 * An entry's fields, each at most once: {@code n} the change number (decimal); {@code c} consent masks (u32 number,
 * then a byte: bit 0 tv, 1 web, 2 ads_and_data; repeated); {@code r} a bulk chunk's new consents (u32 first number,
 * u32 count, then for tv, web and ads_and_data the bits as u32 words, the first bit of a word its highest, the last
 * word as wide as what is left); {@code h} households whose member list changed (the view key's 4-byte id, then
 * 8-byte tags); {@code H} every household; {@code e} erased numbers (u32 each); {@code x} campaign ids and {@code b}
 * bitmap keys to read again (separated by newlines).
 */
public final class ChangeEntryFormat {

    /** Bytes of a consent mask in {@code c}: the number, then the mask. */
    public static final int CONSENT_BYTES = 5;
    /** In {@code h}: the view key's id (the first bytes of its SHA-1), then the households' tags. */
    public static final int KEY_ID_BYTES = 4;
    public static final int TAG_BYTES = 8;

    private ChangeEntryFormat() {
    }

    /** What a replica does with an entry's parts, in the order of its fields. */
    public interface Changes {
        /** {@code mask}: bit 0 tv, 1 web, 2 ads_and_data. */
        void consent(int number, int mask);

        void consentRange(ConsentRange range);

        /** Households by tag (eligibility/HouseholdTags), made with the view key whose id is {@code keyId}. */
        void households(byte[] keyId, long[] tags);

        void allHouseholds();

        void erased(int number);

        void campaigns(List<String> ids);

        void bitmaps(List<String> keys);
    }

    /** A bulk chunk's new subscribers' consents: {@code count} numbers from {@code first}. */
    public static final class ConsentRange {
        private final ByteBuffer words;
        private final int first;
        private final int count;

        private ConsentRange(byte[] packed) {
            this.words = ByteBuffer.wrap(packed);
            this.first = words.getInt();
            this.count = words.getInt();
        }

        public int first() {
            return first;
        }

        public int count() {
            return count;
        }

        /** Whether number {@code first + k} consents to purpose {@code purpose} (0 tv, 1 web, 2 ads_and_data). */
        public boolean consents(int purpose, int k) {
            int wordsPerPurpose = (count + 31) / 32;
            int w = k / 32;
            int width = Math.min(32, count - 32 * w);
            long word = words.getInt(8 + 4 * (purpose * wordsPerPurpose + w)) & 0xffffffffL;
            return (word >>> (width - 1 - (k % 32)) & 1) == 1;
        }
    }

    /** The entry's change number; -1 when it has none. */
    public static long number(Map<byte[], byte[]> entry) {
        for (Map.Entry<byte[], byte[]> field : entry.entrySet()) {
            if (field.getKey().length == 1 && field.getKey()[0] == 'n') {
                return Long.parseLong(new String(field.getValue(), StandardCharsets.US_ASCII));
            }
        }
        return -1;
    }

    /** Hands each part of the entry to {@code to}; an unknown field fails (a writer newer than this reader). */
    public static void read(Map<byte[], byte[]> entry, Changes to) {
        for (Map.Entry<byte[], byte[]> field : entry.entrySet()) {
            byte[] v = field.getValue();
            switch (field.getKey()[0]) {
                case 'n' -> { }
                case 'c' -> {
                    ByteBuffer in = ByteBuffer.wrap(v);
                    while (in.remaining() >= CONSENT_BYTES) {
                        to.consent(in.getInt(), in.get());
                    }
                }
                case 'r' -> to.consentRange(new ConsentRange(v));
                case 'h' -> {
                    ByteBuffer in = ByteBuffer.wrap(v);
                    byte[] keyId = new byte[Math.min(KEY_ID_BYTES, v.length)];
                    in.get(keyId);
                    long[] tags = new long[in.remaining() / TAG_BYTES];
                    for (int i = 0; i < tags.length; i++) {
                        tags[i] = in.getLong();
                    }
                    to.households(keyId, tags);
                }
                case 'H' -> to.allHouseholds();
                case 'e' -> {
                    ByteBuffer in = ByteBuffer.wrap(v);
                    while (in.remaining() >= 4) {
                        to.erased(in.getInt());
                    }
                }
                case 'x' -> to.campaigns(lines(v));
                case 'b' -> to.bitmaps(lines(v));
                default -> throw new IllegalStateException("unknown change field");
            }
        }
    }

    private static List<String> lines(byte[] v) {
        return List.of(new String(v, StandardCharsets.UTF_8).split("\n"));
    }
}
