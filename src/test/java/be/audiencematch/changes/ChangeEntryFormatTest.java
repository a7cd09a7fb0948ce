package be.audiencematch.changes;

import be.audiencematch.support.LuaLibs;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static be.audiencematch.support.LuaLibs.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Change entries have one writer per language that writes them (view_lib.lua: view_note and its value encoders) and
 * one reader (changes/ChangeEntryFormat). On a real Redis, the Lua side writes an entry of every kind, and the Java
 * side must read back exactly what was meant: numbers, masks, a bulk range's bits, household tags (checked against
 * HMAC-SHA1 computed here), erased numbers, campaign ids and bitmap keys.
 */
class ChangeEntryFormatTest {

    private static final byte[] SEQ = bytes("t:view:seq");
    private static final byte[] STREAM = bytes("t:view:changes");
    private static final byte[] VIEW_KEY = bytes("t:view:key");

    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    /** What the reader handed on, as text, in order. */
    private static final class Recorded implements ChangeEntryFormat.Changes {
        final List<String> parts = new ArrayList<>();

        @Override
        public void consent(int number, int mask) {
            parts.add("c " + number + " " + mask);
        }

        @Override
        public void consentRange(ChangeEntryFormat.ConsentRange range) {
            StringBuilder bits = new StringBuilder("r " + range.first() + " " + range.count());
            for (int p = 0; p < 3; p++) {
                bits.append(' ');
                for (int k = 0; k < range.count(); k++) {
                    bits.append(range.consents(p, k) ? '1' : '0');
                }
            }
            parts.add(bits.toString());
        }

        @Override
        public void households(byte[] keyId, long[] tags) {
            parts.add("h " + Arrays.toString(keyId) + " " + Arrays.toString(tags));
        }

        @Override
        public void allHouseholds() {
            parts.add("H");
        }

        @Override
        public void erased(int number) {
            parts.add("e " + number);
        }

        @Override
        public void campaigns(List<String> ids) {
            parts.add("x " + ids);
        }

        @Override
        public void bitmaps(List<String> keys) {
            parts.add("b " + keys);
        }
    }

    private static List<String> writeAndRead(String fields, byte[]... args) {
        lua.redis().del(STREAM, SEQ);
        lua.eval("view_note(KEYS[1], KEYS[2], " + fields + ")\nreturn 1", ScriptOutputType.INTEGER,
                new byte[][] {SEQ, STREAM, VIEW_KEY}, args, "view_lib");
        List<StreamMessage<byte[], byte[]>> entries = lua.redis().xrange(STREAM, Range.create("-", "+"));
        assertEquals(1, entries.size());
        assertEquals(1L, ChangeEntryFormat.number(entries.get(0).getBody()));
        Recorded recorded = new Recorded();
        ChangeEntryFormat.read(entries.get(0).getBody(), recorded);
        return recorded.parts;
    }

    @Test
    void consentMasksAndErasedNumbers() {
        assertEquals(List.of("c 7 1", "c 2147483647 6", "c 0 0"),
                writeAndRead("{ 'c', view_consent(7, 1, 0, 0) .. view_consent(2147483647, 0, 1, 1) .. view_consent(0, 0, 0, 0) }"));
        assertEquals(List.of("e 5", "e 70000"), writeAndRead("{ 'e', view_erased(5) .. view_erased(70000) }"));
    }

    @Test
    void aBulkRangeKeepsEveryBitInPlace() {
        int first = 1_000;
        int count = 40;
        boolean[][] consents = new boolean[3][count];
        StringBuilder expected = new StringBuilder("r " + first + " " + count);
        byte[][] words = new byte[3][];
        for (int p = 0; p < 3; p++) {
            expected.append(' ');
            for (int k = 0; k < count; k++) {
                consents[p][k] = p == 0 ? k % 3 == 0 : p == 1 ? k % 5 == 0 : k == count - 1;
                expected.append(consents[p][k] ? '1' : '0');
            }
            words[p] = words(consents[p]);
        }
        assertEquals(List.of(expected.toString()), writeAndRead(
                "{ 'r', view_consent_range(tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]) }",
                bytes(Integer.toString(first)), bytes(Integer.toString(count)), words[0], words[1], words[2]));
    }

    /** As the bulk path computes them: u32 words, the first bit of a word its highest, the last as wide as what is left. */
    private static byte[] words(boolean[] bits) {
        int words = (bits.length + 31) / 32;
        ByteBuffer out = ByteBuffer.allocate(4 * words);
        for (int w = 0; w < words; w++) {
            int width = Math.min(32, bits.length - 32 * w);
            long word = 0;
            for (int k = 0; k < width; k++) {
                word = word << 1 | (bits[32 * w + k] ? 1 : 0);
            }
            out.putInt((int) word);
        }
        return out.array();
    }

    @Test
    void householdsGoByKeyedTags() throws Exception {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i * 7 + 1);
        }
        lua.redis().set(VIEW_KEY, key);
        List<String> read = writeAndRead("{ 'h', view_household_tags(KEYS[3], { 'hh-1', 'hh-2', 'hh-1' }) }");
        byte[] keyId = Arrays.copyOf(MessageDigest.getInstance("SHA-1").digest(key), 4);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(key, "HmacSHA1"));
        long first = ByteBuffer.wrap(mac.doFinal(bytes("hh-1"))).getLong();
        long second = ByteBuffer.wrap(mac.doFinal(bytes("hh-2"))).getLong();
        assertEquals(List.of("h " + Arrays.toString(keyId) + " " + Arrays.toString(new long[] {first, second})), read);
        assertEquals(List.of("H"), writeAndRead("{ 'H', '1' }"));
    }

    @Test
    void campaignsAndBitmapsToReadAgain() {
        assertEquals(List.of("x [cmp_1]"), writeAndRead("{ 'x', 'cmp_1' }"));
        assertEquals(List.of("b [am:segment:sports, am:audience:aud_1:members]"),
                writeAndRead("{ 'b', 'am:segment:sports\\nam:audience:aud_1:members' }"));
    }

    @Test
    void theChangeNumberCountsWithoutGaps() {
        lua.redis().del(STREAM, SEQ);
        for (int i = 0; i < 3; i++) {
            lua.eval("view_note(KEYS[1], KEYS[2], { 'e', view_erased(1) })\nreturn 1", ScriptOutputType.INTEGER,
                    new byte[][] {SEQ, STREAM}, new byte[0][], "view_lib");
        }
        List<Long> numbers = lua.redis().xrange(STREAM, Range.create("-", "+")).stream()
                .map(m -> ChangeEntryFormat.number(m.getBody())).toList();
        assertEquals(List.of(1L, 2L, 3L), numbers);
        assertArrayEquals(bytes("3"), lua.redis().get(SEQ));
    }
}
