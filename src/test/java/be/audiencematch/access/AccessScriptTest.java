package be.audiencematch.access;

import be.audiencematch.support.Keys;
import be.audiencematch.support.LuaLibs;
import io.lettuce.core.ScriptOutputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * subscriber_access.lua declares every key it reads, so AccessStore reads the registries first and names their
 * members' keys; a registry that gained a member in between must make the script ask for a new reading rather than
 * answer without it (a segment created a moment ago would be missing from the person's answer).
 */
class AccessScriptTest {

    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    @Test
    void aSegmentCreatedAfterTheRegistriesWereReadMakesItAskAgain() {
        lua.redis().flushall();
        lua.redis().hset(Keys.bytes("segments"), LuaLibs.bytes("s1"), LuaLibs.bytes("1"));
        lua.redis().hset(Keys.bytes("segments"), LuaLibs.bytes("s2"), LuaLibs.bytes("1"));

        List<Object> stale = run(List.of("s1"));
        assertEquals(1, stale.size());
        assertEquals("retry", new String((byte[]) stale.get(0)));

        List<Object> current = run(List.of("s1", "s2"));
        assertTrue(current.isEmpty() || current.get(0) == null, "both named: an answer (no such subscriber here)");
    }

    private static List<Object> run(List<String> segments) {
        String script = LuaLibs.source("record_lib") + "\n" + LuaLibs.source("audit_lib") + "\n"
                + LuaLibs.source("access_lib") + "\n"
                + LuaLibs.source("subscriber_access");
        List<byte[]> keys = new ArrayList<>();
        for (String name : List.of("sub:0000", "consent-times:0000", "consent-made", "live", "consent:tv",
                "consent:web", "consent:ads_and_data", "segments", "audiences", "campaigns", "export:cursors")) {
            keys.add(Keys.bytes(name));
        }
        List<byte[]> args = new ArrayList<>(List.of(LuaLibs.bytes("sub-1"), LuaLibs.bytes("0"),
                LuaLibs.bytes(Integer.toString(segments.size())), LuaLibs.bytes("0"), LuaLibs.bytes("0"),
                LuaLibs.bytes("0")));
        for (String id : segments) {
            keys.add(Keys.bytes("segment:" + id));
            args.add(LuaLibs.bytes(id));
        }
        return lua.redis().eval(LuaLibs.bytes(script), ScriptOutputType.MULTI, keys.toArray(new byte[0][]),
                args.toArray(new byte[0][]));
    }
}
