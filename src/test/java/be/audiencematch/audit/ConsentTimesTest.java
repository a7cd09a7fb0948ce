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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where the consent change times live (audit_lib.lua; docs/architecture.md, "Consent change times"): a bulk load's
 * subscribers share one member of {p}consent-made, a subscriber created one by one or changed since has its own
 * entry in the {p}consent-times hash beside its record bucket.
 */
class ConsentTimesTest {

    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    /** The times hash of one record bucket, as SubscriberStore names it. */
    private static final String TIMES = "consent-times:0a1b";

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
        run("consent_stamp(5, { [2] = true }, KEYS[1]) return 1");
        long[] t = times(5);
        assertEquals(1000, t[0]);
        assertTrue(t[1] > 1000, "web: now");
        assertEquals(1000, t[2]);
        assertArrayEquals(new long[] {1000, 1000, 1000}, times(6), "its neighbours keep the load's time");

        run("consent_stamp(5, {}, KEYS[1]) return 1");
        assertEquals(t[1], times(5)[1], "nothing changed: nothing stamped");

        run("consent_unstamp(5, KEYS[1]) return 1");
        assertFalse(lua.redis().hexists(Keys.bytes(TIMES), LuaLibs.bytes("5")),
                "an erasure drops the subscriber's own entry");
    }

    @Test
    void aSubscriberCreatedAloneHasItsOwnEntry() {
        lua.redis().flushall();
        run("consent_stamp(300, nil, KEYS[1]) return 1");
        assertTrue(lua.redis().hexists(Keys.bytes(TIMES), LuaLibs.bytes("300")));
        long now = times(300)[0];
        assertTrue(now > 0);
        assertArrayEquals(new long[] {now, now, now}, times(300));
    }

    /** Number n's tv, web and ads_and_data times, read as subscriber_access.lua reads them. */
    private static long[] times(int n) {
        List<Object> reply = run("return consent_times_read(" + n + ", KEYS[1])");
        ByteBuffer b = ByteBuffer.wrap((byte[]) reply.get(0));
        return new long[] {Integer.toUnsignedLong(b.getInt(0)), Integer.toUnsignedLong(b.getInt(4)),
                Integer.toUnsignedLong(b.getInt(8))};
    }

    private static List<Object> run(String body) {
        String script = LuaLibs.source("audit_lib") + "\naudit_keys(KEYS[2], KEYS[3])\nreturn { (function() " + body
                + " end)() }";
        return lua.redis().eval(LuaLibs.bytes(script), ScriptOutputType.MULTI,
                new byte[][] {Keys.bytes(TIMES), Keys.bytes("audit"), Keys.bytes("consent-made")});
    }
}
