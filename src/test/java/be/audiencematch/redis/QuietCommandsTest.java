package be.audiencematch.redis;

import be.audiencematch.support.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Commands sent with Redis' answers off: Redis runs them all, Lettuce sees one answer, and the connection's answers
 * stay matched to their commands afterwards, also on a connection that may not turn answers off.
 */
class QuietCommandsTest {

    private static RedisServer server;
    private static RedisClient client;

    @BeforeAll
    static void start() throws Exception {
        server = new RedisServer().start();
        client = RedisClient.create(server.url());
    }

    @AfterAll
    static void stop() throws Exception {
        client.shutdown();
        server.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static StatefulRedisConnection<byte[], byte[]> connect(RedisURI uri) {
        StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE, uri);
        connection.setAutoFlushCommands(false);
        return connection;
    }

    private static <T> T flushAndWait(StatefulRedisConnection<byte[], byte[]> connection, CompletableFuture<T> future) {
        connection.flushCommands();
        return future.join();
    }

    @Test
    void commandsRunWithOneAnswerForAllAndTheNextAnswersStayInStep() {
        try (StatefulRedisConnection<byte[], byte[]> connection = connect(RedisURI.create(server.url()))) {
            assertTrue(QuietCommands.supported(connection));
            QuietCommands quiet = new QuietCommands(64);
            quiet.command(3).add(bytes("SET")).add(bytes("quiet:a")).add(bytes("1"));
            quiet.command(2).add(bytes("INCR")).add(bytes("quiet:a"));
            // An error is not answered either: what the commands did is read back, not their answers.
            quiet.command(2).add(bytes("INCR")).add(bytes("quiet:not-a-number"));
            quiet.command(3).add(bytes("SET")).add(bytes("quiet:not-a-number")).add(bytes("x"));
            quiet.command(2).add(bytes("INCR")).add(bytes("quiet:not-a-number"));
            quiet.command(2).add(bytes("INCR")).add(bytes("quiet:a"));
            CompletableFuture<String> done = quiet.send(connection);
            CompletableFuture<byte[]> a = connection.async().get(bytes("quiet:a")).toCompletableFuture();
            CompletableFuture<byte[]> b = connection.async().get(bytes("quiet:not-a-number")).toCompletableFuture();
            assertEquals("OK", flushAndWait(connection, done));
            assertArrayEquals(bytes("3"), a.join());
            assertArrayEquals(bytes("x"), b.join());
        }
    }

    @Test
    void aConnectionThatMayNotTurnAnswersOffIsToldSoAndStaysInStep() {
        try (StatefulRedisConnection<byte[], byte[]> admin = connect(RedisURI.create(server.url()))) {
            flushAndWait(admin, admin.async().aclSetuser("no-quiet", io.lettuce.core.AclSetuserArgs.Builder
                    .on().addPassword("secret-for-tests").allKeys().allChannels().allCommands()
                    .removeCommand(io.lettuce.core.protocol.CommandType.CLIENT)).toCompletableFuture());
            flushAndWait(admin, admin.async().set(bytes("quiet:b"), bytes("kept")).toCompletableFuture());
        }
        RedisURI limited = RedisURI.create(server.url());
        limited.setUsername("no-quiet");
        limited.setPassword("secret-for-tests".toCharArray());
        try (StatefulRedisConnection<byte[], byte[]> connection = connect(limited)) {
            assertFalse(QuietCommands.supported(connection));
            // The question had one answer: the next answer is the next command's.
            assertArrayEquals(bytes("kept"), flushAndWait(connection, connection.async().get(bytes("quiet:b"))
                    .toCompletableFuture()));
            assertEquals("PONG", flushAndWait(connection, connection.async().ping().toCompletableFuture()));
        }
    }
}
