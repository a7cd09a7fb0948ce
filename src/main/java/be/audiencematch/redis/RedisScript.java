package be.audiencematch.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.CommandType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A Lua script shipped in {@code src/main/resources/redis/}. Runs by digest and loads itself on NOSCRIPT, so a
 * restarted or failed-over Redis needs nothing from us but the next call.
 */
public final class RedisScript {

    private final byte[] body;
    private final String sha;

    private RedisScript(byte[] body) {
        this.body = body;
        this.sha = sha1(body);
    }

    /** Loads {@code name}.lua, with the given helper files prepended in order (Lua scripts cannot include). */
    public static RedisScript load(String name, String... helpers) {
        StringBuilder text = new StringBuilder();
        for (String part : helpers) {
            text.append(read(part)).append('\n');
        }
        text.append(read(name));
        return new RedisScript(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String read(String name) {
        try (InputStream in = RedisScript.class.getResourceAsStream("/redis/" + name + ".lua")) {
            if (in == null) {
                throw new IllegalStateException("missing script " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read script " + name, e);
        }
    }


    public <T> CompletionStage<T> run(RedisAsyncCommands<byte[], byte[]> redis, ScriptOutputType type,
                                      byte[][] keys, byte[]... args) {
        return reloading(redis, () -> redis.evalsha(sha, type, keys, args), () -> redis.eval(body, type, keys, args));
    }

    /** Runs with many arguments written in wire format ({@link PackedArgs}: its leading keys, then the rest). */
    public <T> CompletionStage<T> run(RedisAsyncCommands<byte[], byte[]> redis,
                                      Supplier<CommandOutput<byte[], byte[], T>> output, PackedArgs args) {
        return reloading(redis,
                () -> redis.dispatch(CommandType.EVALSHA, output.get(), args.forScript(sha.getBytes(StandardCharsets.US_ASCII))),
                () -> redis.dispatch(CommandType.EVAL, output.get(), args.forScript(body)));
    }

    /**
     * Starts this script's call among {@link QuietCommands}: EVAL, the body, the number of keys; add the {@code keys}
     * keys, then the {@code arguments} arguments, to what this returns. Always by body, never by digest: a NOSCRIPT there would go unanswered, and the
     * commands after it would run without the script (such as a check between WATCH and MULTI).
     */
    public PackedArgs evalAmong(QuietCommands commands, int keys, int arguments) {
        return commands.command(3 + keys + arguments).add(EVAL).add(body).addDecimal(keys);
    }

    private static final byte[] EVAL = "EVAL".getBytes(StandardCharsets.US_ASCII);

    /**
     * Loads scripts into Redis' cache on a connection with manual flushing, without waiting: the calls after them on
     * the same connection find them by digest. For a pipeline of many calls, which on a Redis that has not seen the
     * scripts (restarted, failed over) would all fail with NOSCRIPT and be sent again with the body.
     */
    public static void preload(StatefulRedisConnection<byte[], byte[]> connection, RedisScript... scripts) {
        for (RedisScript script : scripts) {
            connection.async().scriptLoad(script.body);
        }
        connection.flushCommands();
    }

    /** Runs by digest; on NOSCRIPT (a restarted or failed-over Redis) sends the body once. */
    private static <T> CompletionStage<T> reloading(RedisAsyncCommands<byte[], byte[]> redis,
                                                    Supplier<CompletionStage<T>> byDigest,
                                                    Supplier<CompletionStage<T>> byBody) {
        CompletableFuture<T> result = new CompletableFuture<>();
        byDigest.get().whenComplete((value, failure) -> {
            if (failure == null) {
                result.complete(value);
            } else if (unwrap(failure) instanceof RedisNoScriptException) {
                byBody.get().whenComplete((v, f) -> {
                    if (f == null) {
                        result.complete(v);
                    } else {
                        result.completeExceptionally(unwrap(f));
                    }
                });
                redis.getStatefulConnection().flushCommands();
            } else {
                result.completeExceptionally(unwrap(failure));
            }
        });
        return result;
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static String sha1(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
