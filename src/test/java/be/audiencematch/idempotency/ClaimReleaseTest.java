package be.audiencematch.idempotency;

import be.audiencematch.support.Keys;
import be.audiencematch.support.LuaLibs;
import io.lettuce.core.ScriptOutputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * idempotency_release.lua on a real Redis: a request gives back only its own claim. A late release (Redis was away
 * until the claim expired and another request took the key) must leave the other request's claim alone; a plain DEL,
 * as before, would delete it and let a third request run the same work beside it.
 */
class ClaimReleaseTest {

    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    private static final byte[] KEY = bytes(Keys.key("idem:adv:key-1"));

    @Test
    void theClaimThatWasTakenIsGivenBack() {
        lua.redis().set(KEY, bytes("pending a"));
        assertEquals(1L, release("pending a"));
        assertNull(lua.redis().get(KEY));
    }

    @Test
    void anotherRequestsClaimStays() {
        lua.redis().set(KEY, bytes("pending b"));
        assertEquals(0L, release("pending a"));
        assertArrayEquals(bytes("pending b"), lua.redis().get(KEY));
    }

    @Test
    void aRecordedOutcomeStays() {
        lua.redis().set(KEY, bytes("adv\naud_x\n{\"received\":3}"));
        assertEquals(0L, release("pending a"));
        assertArrayEquals(bytes("adv\naud_x\n{\"received\":3}"), lua.redis().get(KEY));
    }

    private static long release(String claim) {
        return lua.eval(LuaLibs.source("idempotency_release"), ScriptOutputType.INTEGER, new byte[][] {KEY},
                new byte[][] {bytes(claim)});
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
