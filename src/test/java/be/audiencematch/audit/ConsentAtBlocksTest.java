package be.audiencematch.audit;

import be.audiencematch.support.Keys;
import be.audiencematch.support.LuaLibs;
import io.lettuce.core.ScriptOutputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {p}consent-at in blocks (audit_lib.lua): one Redis string stops at 512 MiB, which 12 bytes a number reached at
 * 44.7M subscribers. Run with blocks of 4 numbers instead of 2^25, so that the arithmetic at a block's edges is
 * tested without writing 384 MiB: the block size is the lib's one constant, replaced in its text here.
 */
class ConsentAtBlocksTest {

    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    private static final String BLOCK = "local consent_at_block = 33554432";

    @Test
    void theLibHasTheBlockSizeThisTestReplaces() {
        assertTrue(LuaLibs.source("audit_lib").contains(BLOCK), "update this test with the lib");
    }

    @Test
    void aRangeAcrossBlocksIsWrittenIntoEachAndErasureZeroesOneNumber() {
        lua.redis().flushall();
        // Numbers 2 to 8: 2 and 3 in block 0 (the old key name), 4 to 7 in block 1, 8 in block 2.
        run("consent_stamp_range(2, 7) return 1");
        assertEquals(4 * 12, lua.redis().strlen(Keys.bytes("consent-at")));
        assertEquals(4 * 12, lua.redis().strlen(Keys.bytes("consent-at:1")));
        assertEquals(12, lua.redis().strlen(Keys.bytes("consent-at:2")));
        assertTrue(stampOf(3) > 0 && stampOf(4) > 0 && stampOf(7) > 0 && stampOf(8) > 0);
        assertEquals(0, stampOf(1), "before the range: not known");

        run("consent_unstamp(5) return 1");
        assertEquals(0, stampOf(5));
        assertTrue(stampOf(4) > 0 && stampOf(6) > 0, "its neighbours keep theirs");

        // A number in a block never written: nothing to forget, and no block made for it.
        run("consent_unstamp(13) return 1");
        assertEquals(0, lua.redis().exists(Keys.bytes("consent-at:3")));
    }

    @Test
    void oneSubscribersStampLandsInItsBlock() {
        lua.redis().flushall();
        run("consent_stamp(9) return 1");
        assertEquals(2 * 12, lua.redis().strlen(Keys.bytes("consent-at:2")));
        assertTrue(stampOf(9) > 0);
        assertEquals(0, lua.redis().exists(Keys.bytes("consent-at")));
    }

    /** The tv stamp (first u32) of number n, read through consent_at_of as subscriber_access.lua reads it. */
    private static long stampOf(int n) {
        List<Object> reply = run("local key, at = consent_at_of(" + n + ") "
                + "local b = redis.call('GETRANGE', key, at, at + 3) "
                + "if #b < 4 then return 0 end return struct.unpack('>I4', b)");
        return (Long) reply.get(0);
    }

    private static List<Object> run(String body) {
        String lib = LuaLibs.source("audit_lib").replace(BLOCK, "local consent_at_block = 4");
        return lua.redis().eval(LuaLibs.bytes(lib + "\nreturn { (function() " + body + " end)() }"),
                ScriptOutputType.MULTI, new byte[0][], LuaLibs.bytes(Keys.prefix()));
    }
}
