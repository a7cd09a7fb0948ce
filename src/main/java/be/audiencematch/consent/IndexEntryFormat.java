package be.audiencematch.consent;

import be.audiencematch.redis.PackedArgs;

/**
 * An entry of the identifier index ({@code {p}ix:{e|p}:{bucket}}, a string of entries): the only Java code that
 * writes or reads one. An entry is 12 bytes: the field (digest bytes 2..9; the leading bytes name the bucket), then
 * the subscriber number as u32, most significant byte first. Its Lua counterpart is {@code index_lib.lua}
 * ({@code index_entry}, {@code index_number4} and the helpers that scan a bucket); IndexEntryFormatTest runs each
 * against the other's bytes (docs/architecture.md, "The central idea: subscriber numbers and bitmaps").
 */
public final class IndexEntryFormat {

    /**
     * Digest bytes kept in the field, after the bucket bits: 8 + up to 16 = up to 80 bits. For a 10M base the chance
     * that two people share them is about 1e-10, and an advertiser's row hits a wrong person far less often.
     */
    public static final int FIELD_BYTES = 8;
    /** Where the field starts in a SHA-256 digest: the two bytes before it name the bucket (with its bits beyond 16). */
    public static final int FIELD_OFFSET = 2;
    public static final int ENTRY_BYTES = FIELD_BYTES + 4;

    private IndexEntryFormat() {
    }

    /** Copies a digest's field to {@code into} at {@code at}. */
    public static void field(byte[] digest, byte[] into, int at) {
        System.arraycopy(digest, FIELD_OFFSET, into, at, FIELD_BYTES);
    }

    /**
     * Appends one entry to an argument being built ({@link PackedArgs#begin}): the field found at {@code fieldAt} in
     * {@code fields}, then {@code number}. Allocates nothing (a bulk load writes millions).
     */
    public static PackedArgs put(PackedArgs argument, byte[] fields, int fieldAt, int number) {
        return argument.put(fields, fieldAt, FIELD_BYTES).putInt(number);
    }

    /** One entry, as {@link #put} writes it. */
    public static byte[] entry(byte[] field, int number) {
        byte[] out = new byte[ENTRY_BYTES];
        put(out, 0, field, 0, number);
        return out;
    }

    /** Writes one entry into {@code into} at {@code at}: the field found at {@code fieldAt} in {@code fields}. */
    public static void put(byte[] into, int at, byte[] fields, int fieldAt, int number) {
        System.arraycopy(fields, fieldAt, into, at, FIELD_BYTES);
        into[at + FIELD_BYTES] = (byte) (number >>> 24);
        into[at + FIELD_BYTES + 1] = (byte) (number >>> 16);
        into[at + FIELD_BYTES + 2] = (byte) (number >>> 8);
        into[at + FIELD_BYTES + 3] = (byte) number;
    }

    /** How many entries a bucket's string holds. */
    public static int count(byte[] entries) {
        return entries.length / ENTRY_BYTES;
    }

    /** The field of entry {@code i}. */
    public static byte[] field(byte[] entries, int i) {
        return java.util.Arrays.copyOfRange(entries, i * ENTRY_BYTES, i * ENTRY_BYTES + FIELD_BYTES);
    }

    /** The subscriber number of entry {@code i}. */
    public static int number(byte[] entries, int i) {
        int at = i * ENTRY_BYTES + FIELD_BYTES;
        return (entries[at] & 0xff) << 24 | (entries[at + 1] & 0xff) << 16 | (entries[at + 2] & 0xff) << 8
                | (entries[at + 3] & 0xff);
    }
}
