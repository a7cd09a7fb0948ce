package be.audiencematch.redis;

import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * Commands that Redis runs without answering them one by one: {@code CLIENT REPLY OFF}, the commands, {@code CLIENT
 * REPLY ON}, of which only the last answers ({@code OK}). For bulk writes whose answers nobody reads (a transaction's
 * {@code QUEUED}s and counts): Lettuce then handles one command instead of hundreds, each with its future, its
 * encoding and its decoded answer, and Redis writes one answer. One command on the wire: written, answered or failed
 * as a whole. What the commands did must be read back from Redis (a marker they set): their errors are not seen.
 * Ask {@link #supported} first: where {@code CLIENT REPLY} is refused, Redis would answer every command.
 */
public final class QuietCommands {

    private static final byte[] OFF = wire("CLIENT", "REPLY", "OFF");
    private static final byte[] ON = wire("CLIENT", "REPLY", "ON");

    private final PackedArgs commands;

    /** Room for about {@code expectedBytes} of commands before the buffer grows. */
    public QuietCommands(int expectedBytes) {
        this.commands = new PackedArgs(expectedBytes + OFF.length + ON.length).raw(OFF);
    }

    /** Starts a command of {@code arguments} arguments, its name included; add them to what this returns. */
    public PackedArgs command(int arguments) {
        return commands.command(arguments);
    }

    /** Sends the commands (flush the connection after); completes with {@code OK} once Redis has run them all. */
    public CompletableFuture<String> send(StatefulRedisConnection<byte[], byte[]> connection) {
        commands.raw(ON);
        return dispatch(connection, commands);
    }

    /**
     * Whether this connection may turn answers off: an ACL may deny {@code CLIENT}, a configuration may rename it.
     * Asked of Redis' ACL from a script ({@code redis.acl_check_cmd}, Redis 7.0), which answers once either way: trying
     * {@code CLIENT REPLY} itself would leave one answer too many on a connection where it is refused. Waits for the
     * answer: call on a worker thread.
     */
    public static boolean supported(StatefulRedisConnection<byte[], byte[]> connection) {
        CompletableFuture<Long> allowed = connection.async().<Long>eval(MAY_TURN_OFF, ScriptOutputType.INTEGER)
                .toCompletableFuture();
        connection.flushCommands();
        try {
            return RedisConnections.awaitOnWorker(allowed) == 1;
        } catch (RedisException refused) {
            // Scripts themselves refused: nothing quiet either.
            return false;
        }
    }

    private static final byte[] MAY_TURN_OFF = ("local ok, allowed = pcall(redis.acl_check_cmd, 'client', 'reply', 'off') "
            + "if ok and allowed then return 1 end return 0").getBytes(StandardCharsets.US_ASCII);

    private static CompletableFuture<String> dispatch(StatefulRedisConnection<byte[], byte[]> connection,
                                                      PackedArgs wire) {
        AsyncCommand<byte[], byte[], String> command = new AsyncCommand<>(new Raw(wire));
        connection.dispatch(command);
        return command;
    }

    private static byte[] wire(String... arguments) {
        PackedArgs args = new PackedArgs(64).command(arguments.length);
        for (String argument : arguments) {
            args.add(argument.getBytes(StandardCharsets.US_ASCII));
        }
        return args.wireBytes();
    }

    /** One Lettuce command whose wire format is the whole list, as given. */
    private static final class Raw extends Command<byte[], byte[], String> {
        Raw(PackedArgs wire) {
            super(Keyword.QUIET, new StatusOutput<>(ByteArrayCodec.INSTANCE), wire);
        }

        @Override
        public void encode(ByteBuf buf) {
            getArgs().encode(buf);
        }
    }

    private enum Keyword implements ProtocolKeyword {
        QUIET;

        private final byte[] bytes = name().getBytes(StandardCharsets.US_ASCII);

        @Override
        public byte[] getBytes() {
            return bytes;
        }
    }
}
