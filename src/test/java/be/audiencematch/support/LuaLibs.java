package be.audiencematch.support;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A redis-server of the test's own, to run a short Lua body with the service's *_lib.lua files prepended, as the
 * service's scripts have them: how the binary-format tests run the Lua side against bytes the Java side wrote, and
 * read back what the Lua side wrote. A JUnit extension: {@code @RegisterExtension static final LuaLibs lua = new
 * LuaLibs();} starts the server before the class's tests and stops it after them.
 */
public final class LuaLibs implements BeforeAllCallback, AfterAllCallback {

    private RedisServer server;
    private RedisClient client;
    private StatefulRedisConnection<byte[], byte[]> connection;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        server = new RedisServer().start();
        client = RedisClient.create(server.url());
        connection = client.connect(ByteArrayCodec.INSTANCE);
    }

    public RedisCommands<byte[], byte[]> redis() {
        return connection.sync();
    }

    /** Runs {@code body} after the named helpers (file names without .lua), as EVAL. */
    public <T> T eval(String body, ScriptOutputType type, byte[][] keys, byte[][] args, String... libs) {
        StringBuilder text = new StringBuilder();
        for (String lib : libs) {
            text.append(source(lib)).append('\n');
        }
        text.append(body);
        return redis().eval(text.toString().getBytes(StandardCharsets.UTF_8), type, keys, args);
    }

    /** The text of the service's {@code name}.lua. */
    public static String source(String name) {
        try (InputStream in = LuaLibs.class.getResourceAsStream("/redis/" + name + ".lua")) {
            if (in == null) {
                throw new IllegalStateException("missing script " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        connection.close();
        client.shutdown();
        server.close();
    }
}
