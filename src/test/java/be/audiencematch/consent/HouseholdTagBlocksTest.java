package be.audiencematch.consent;

import be.audiencematch.support.Keys;
import be.audiencematch.support.LuaLibs;
import io.lettuce.core.ScriptOutputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {p}hhof in blocks (subscriber_lib.lua's hhof_write, SubscriberStore.householdTagsKey): 4 bytes a number stopped
 * at 134M numbers in one 512 MiB string. The Lua runs here with blocks of 4 numbers instead of 2^26, its one
 * constant replaced in its text, so that the edges are tested without writing 256 MiB; the Java side's mapping is
 * checked against the same arithmetic.
 */
class HouseholdTagBlocksTest {

    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    private static final String BLOCK = "local HHOF_BLOCK = 67108864";
    private static final String[] LIBS = {"view_lib", "audit_lib", "index_lib", "record_lib", "consent_lib"};

    @Test
    void javaAndLuaAgreeOnTheBlock() {
        assertTrue(LuaLibs.source("subscriber_lib").contains(BLOCK), "the Lua block size changed: change both");
        assertEquals(67108864, SubscriberStore.HOUSEHOLD_TAG_BLOCK);
    }

    @Test
    void aChunksTagsAcrossBlocksLandInEachAtTheirOffsets() {
        lua.redis().flushall();
        // Numbers 3 to 9, tags 3..9 as u32: 3 in block 0 (the old key name), 4 to 7 in block 1, 8 and 9 in block 2.
        StringBuilder call = new StringBuilder("hhof_write(3, ");
        for (int n = 3; n <= 9; n++) {
            call.append(n == 3 ? "" : " .. ").append("struct.pack('>I4', ").append(n).append(')');
        }
        run(call.append(") return 1").toString());
        assertEquals(16, lua.redis().strlen(Keys.bytes("hhof")));
        assertEquals(16, lua.redis().strlen(Keys.bytes("hhof:1")));
        assertEquals(8, lua.redis().strlen(Keys.bytes("hhof:2")));
        for (int n = 3; n <= 9; n++) {
            assertEquals(n, tagOf(n), "number " + n);
        }
        run("hhof_write(6, '\\0\\0\\0\\0') return 1");
        assertEquals(0, tagOf(6));
        assertEquals(5, tagOf(5));
        assertEquals(7, tagOf(7));
    }

    @Test
    void theJavaReaderNamesTheBlockOfANumber() {
        assertEquals(Keys.key("hhof"), key(0));
        assertEquals(Keys.key("hhof"), key(SubscriberStore.HOUSEHOLD_TAG_BLOCK - 1));
        assertEquals(Keys.key("hhof:1"), key(SubscriberStore.HOUSEHOLD_TAG_BLOCK));
        assertEquals(Keys.key("hhof:31"), key(Integer.MAX_VALUE));
    }

    /** The tag of number n, read from its block as CampaignStore.householdReach reads it (with blocks of 4). */
    private static long tagOf(int n) {
        int block = n / 4;
        String key = block == 0 ? Keys.key("hhof") : Keys.key("hhof:") + block;
        byte[] value = lua.redis().getrange(LuaLibs.bytes(key), (n % 4) * 4L, (n % 4) * 4L + 3);
        return value.length < 4 ? 0 : Integer.toUnsignedLong(ByteBuffer.wrap(value).getInt());
    }

    private static String key(int number) {
        return Keys.prefix() + SubscriberStore.householdTagsName(number);
    }

    private static List<Object> run(String body) {
        StringBuilder text = new StringBuilder();
        for (String lib : LIBS) {
            text.append(LuaLibs.source(lib)).append('\n');
        }
        text.append(LuaLibs.source("subscriber_lib").replace(BLOCK, "local HHOF_BLOCK = 4")).append('\n');
        text.append("key_of = function(name) return ARGV[1] .. name end\n");
        text.append("return { (function() ").append(body).append(" end)() }");
        return lua.redis().eval(LuaLibs.bytes(text.toString()), ScriptOutputType.MULTI, new byte[0][],
                LuaLibs.bytes(Keys.prefix()));
    }
}
