package be.audiencematch.audit;

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
 * Where the consent change times live (audit_lib.lua; docs/architecture.md, "Consent change times"): a bulk load's
 * subscribers share one member of {p}consent-made, a subscriber created one by one or changed since has its own
 * entry in a {p}consent-times hash, and the dense {p}consent-at of earlier versions is still read. The dense blocks
 * are run with 4 numbers instead of 2^25, the lib's one constant replaced in its text here, so the arithmetic at a
 * block's edges is tested without writing 384 MiB.
 */
class ConsentTimesTest {

    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    private static final String BLOCK = "local consent_at_block = 33554432";

    @Test
    void theLibHasTheBlockSizeThisTestReplaces() {
        assertTrue(LuaLibs.source("audit_lib").contains(BLOCK), "update this test with the lib");
    }

    @Test
    void aBulkRangeSharesOneMemberAndTakesNoBytesPerSubscriber() {
        lua.redis().flushall();
        run("consent_stamp_range(2, 7) return 1");
        assertEquals(1, lua.redis().zcard(Keys.bytes("consent-made")));
        assertEquals(0, lua.redis().keys(Keys.bytes("consent-times:*")).size(), "no entry per subscriber");
        long now = times(2)[0];
        assertTrue(now > 1_700_000_000L, "Redis' clock, in epoch seconds");
        for (int n = 2; n <= 8; n++) {
            assertArrayEquals(new long[] {now, now, now}, times(n), "number " + n);
        }
        assertArrayEquals(new long[] {0, 0, 0}, times(1), "before the range: not known");
        assertArrayEquals(new long[] {0, 0, 0}, times(9), "after it");
    }

    @Test
    void aChangeAfterABulkLoadKeepsTheOtherPurposesTimes() {
        lua.redis().flushall();
        lua.redis().zadd(Keys.bytes("consent-made"), 0, LuaLibs.bytes("0:10:1000"));
        run("consent_stamp(5, { [2] = true }) return 1");
        long[] t = times(5);
        assertEquals(1000, t[0]);
        assertTrue(t[1] > 1000, "web: now");
        assertEquals(1000, t[2]);
        assertArrayEquals(new long[] {1000, 1000, 1000}, times(6), "its neighbours keep the load's time");

        run("consent_stamp(5, {}) return 1");
        assertEquals(t[1], times(5)[1], "nothing changed: nothing stamped");

        run("consent_unstamp(5) return 1");
        assertEquals(0, lua.redis().hexists(Keys.bytes("consent-times:0"), LuaLibs.bytes("5")) ? 1 : 0,
                "an erasure drops the subscriber's own entry");
    }

    @Test
    void aSubscriberCreatedAloneHasItsEntryInItsBucket() {
        lua.redis().flushall();
        run("consent_stamp(300) return 1");
        assertTrue(lua.redis().hexists(Keys.bytes("consent-times:2"), LuaLibs.bytes("44")), "300 = 2 x 128 + 44");
        long now = times(300)[0];
        assertTrue(now > 0);
        assertArrayEquals(new long[] {now, now, now}, times(300));
    }

    @Test
    void theDenseLayoutOfEarlierVersionsIsStillReadAndErasureZeroesIt() {
        lua.redis().flushall();
        // Number 5 lies in dense block 1 (numbers 4 to 7 with blocks of 4): offset 12 there.
        ByteBuffer old = ByteBuffer.allocate(24).putInt(12, 111).putInt(16, 222).putInt(20, 333);
        lua.redis().set(Keys.bytes("consent-at:1"), old.array());
        assertArrayEquals(new long[] {111, 222, 333}, times(5));

        run("consent_unstamp(5) return 1");
        assertArrayEquals(new long[] {0, 0, 0}, times(5));
        // A number in a block never written: nothing to forget, and no block made for it.
        run("consent_unstamp(13) return 1");
        assertEquals(0, lua.redis().exists(Keys.bytes("consent-at:3")));
    }

    /** Number n's tv, web and ads_and_data times, read as subscriber_access.lua reads them. */
    private static long[] times(int n) {
        List<Object> reply = run("return consent_times_read(" + n + ")");
        ByteBuffer b = ByteBuffer.wrap((byte[]) reply.get(0));
        return new long[] {Integer.toUnsignedLong(b.getInt(0)), Integer.toUnsignedLong(b.getInt(4)),
                Integer.toUnsignedLong(b.getInt(8))};
    }

    private static List<Object> run(String body) {
        String lib = LuaLibs.source("audit_lib").replace(BLOCK, "local consent_at_block = 4");
        return lua.redis().eval(LuaLibs.bytes(lib + "\nreturn { (function() " + body + " end)() }"),
                ScriptOutputType.MULTI, new byte[0][], LuaLibs.bytes(Keys.prefix()));
    }
}
