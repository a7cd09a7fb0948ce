package be.audiencematch.consent;

import be.audiencematch.redis.PackedArgs;
import be.audiencematch.support.LuaLibs;
import io.lettuce.core.ScriptOutputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.HexFormat;
import java.util.List;

import static be.audiencematch.support.LuaLibs.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Identifier index entries have one owner per language: consent/IndexEntryFormat in Java (what a bulk load appends,
 * what a look-up sends) and index_lib.lua in Lua (what every other write puts, what look-ups and erasures scan). On
 * a real Redis each reads the other's bytes, numbers past 2^31 and fields that hold the byte 0 or 255 included.
 */
class IndexEntryFormatTest {

    private static final byte[] BUCKET = bytes("t:ix:e:3c11");
    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    private static final byte[][] FIELDS = {
        HexFormat.of().parseHex("0000000000000001"),
        HexFormat.of().parseHex("ffffffffffffff00"),
        HexFormat.of().parseHex("0102030405060708"),
    };
    private static final int[] NUMBERS = {0, -2, 70_000};

    @Test
    void theLuaSideFindsWhatTheJavaSideAppended() {
        PackedArgs argument = new PackedArgs(64).begin(FIELDS.length * IndexEntryFormat.ENTRY_BYTES);
        byte[] fields = new byte[FIELDS.length * IndexEntryFormat.FIELD_BYTES];
        for (int i = 0; i < FIELDS.length; i++) {
            System.arraycopy(FIELDS[i], 0, fields, i * IndexEntryFormat.FIELD_BYTES, IndexEntryFormat.FIELD_BYTES);
        }
        for (int i = 0; i < FIELDS.length; i++) {
            IndexEntryFormat.put(argument, fields, i * IndexEntryFormat.FIELD_BYTES, NUMBERS[i]);
        }
        argument.end();
        byte[] entries = new byte[FIELDS.length * IndexEntryFormat.ENTRY_BYTES];
        for (int i = 0; i < FIELDS.length; i++) {
            System.arraycopy(IndexEntryFormat.entry(FIELDS[i], NUMBERS[i]), 0, entries, i * IndexEntryFormat.ENTRY_BYTES,
                    IndexEntryFormat.ENTRY_BYTES);
        }
        byte[] wire = argument.wireBytes();
        // The argument on the wire is $<length>\r\n<entries>\r\n: what the bulk load's APPEND carries.
        byte[] appended = java.util.Arrays.copyOfRange(wire, wire.length - 2 - entries.length, wire.length - 2);
        assertArrayEquals(entries, appended);

        lua.redis().del(BUCKET);
        lua.redis().append(BUCKET, appended);
        for (int i = 0; i < FIELDS.length; i++) {
            byte[] number4 = lua.eval("return index_latest(redis.call('GET', KEYS[1]), ARGV[1]) or ''",
                    ScriptOutputType.VALUE, new byte[][] {BUCKET}, new byte[][] {FIELDS[i]}, "index_lib");
            assertArrayEquals(java.util.Arrays.copyOfRange(entries, i * IndexEntryFormat.ENTRY_BYTES
                    + IndexEntryFormat.FIELD_BYTES, (i + 1) * IndexEntryFormat.ENTRY_BYTES), number4);
            assertEquals(NUMBERS[i], IndexEntryFormat.number(entries, i));
        }
    }

    @Test
    void theJavaSideReadsWhatTheLuaSidePut() {
        lua.redis().del(BUCKET);
        for (int i = 0; i < FIELDS.length; i++) {
            lua.eval("index_put(KEYS[1], ARGV[1], index_number4(tonumber(ARGV[2])))\nreturn 1",
                    ScriptOutputType.INTEGER, new byte[][] {BUCKET},
                    new byte[][] {FIELDS[i], bytes(Long.toString(NUMBERS[i] & 0xffffffffL))}, "index_lib");
        }
        byte[] entries = lua.redis().get(BUCKET);
        assertEquals(FIELDS.length, IndexEntryFormat.count(entries));
        for (int i = 0; i < FIELDS.length; i++) {
            assertArrayEquals(FIELDS[i], IndexEntryFormat.field(entries, i));
            assertEquals(NUMBERS[i], IndexEntryFormat.number(entries, i));
            assertArrayEquals(IndexEntryFormat.entry(FIELDS[i], NUMBERS[i]),
                    java.util.Arrays.copyOfRange(entries, i * IndexEntryFormat.ENTRY_BYTES,
                            (i + 1) * IndexEntryFormat.ENTRY_BYTES));
        }
        // A later put of the same field makes it that number's alone, as a PUT does.
        lua.eval("index_put(KEYS[1], ARGV[1], index_number4(5))\nreturn 1", ScriptOutputType.INTEGER,
                new byte[][] {BUCKET}, new byte[][] {FIELDS[0]}, "index_lib");
        byte[] after = lua.redis().get(BUCKET);
        assertEquals(List.of(-2, 70_000, 5), List.of(IndexEntryFormat.number(after, 0), IndexEntryFormat.number(after, 1),
                IndexEntryFormat.number(after, 2)));
    }

    @Test
    void aConvertedHashBucketHoldsTheSameEntries() {
        lua.redis().del(BUCKET);
        for (int i = 0; i < FIELDS.length; i++) {
            lua.redis().hset(BUCKET, FIELDS[i], bytes(Long.toString(NUMBERS[i] & 0xffffffffL)));
        }
        lua.eval(LuaLibs.source("index_compact"), ScriptOutputType.INTEGER, new byte[][] {BUCKET}, new byte[0][],
                "index_lib");
        byte[] entries = lua.redis().get(BUCKET);
        assertEquals(FIELDS.length, IndexEntryFormat.count(entries));
        java.util.Set<String> read = new java.util.HashSet<>();
        for (int i = 0; i < FIELDS.length; i++) {
            read.add(HexFormat.of().formatHex(IndexEntryFormat.field(entries, i)) + "=" + IndexEntryFormat.number(entries, i));
        }
        java.util.Set<String> written = new java.util.HashSet<>();
        for (int i = 0; i < FIELDS.length; i++) {
            written.add(HexFormat.of().formatHex(FIELDS[i]) + "=" + NUMBERS[i]);
        }
        assertEquals(written, read);
    }
}
