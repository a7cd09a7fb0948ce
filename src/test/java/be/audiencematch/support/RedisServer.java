package be.audiencematch.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/** A real redis-server of the test's own: free port, temporary folder, nothing persisted. */
public final class RedisServer implements AutoCloseable {

    private final Path dir;
    private final boolean clusterNode;
    private int port;
    private boolean started;
    private Process process;

    public RedisServer() throws IOException {
        this(false);
    }

    /** {@code clusterNode}: started with cluster mode on, to be joined into a cluster (see ClusterEnvironment). */
    public RedisServer(boolean clusterNode) throws IOException {
        this.dir = Files.createTempDirectory("am-redis-");
        this.port = freePort();
        this.clusterNode = clusterNode;
    }

    /**
     * Starts the server. The first start takes another free port when redis-server exits at once (the port was taken
     * between the check and its bind); a restart keeps the port, as clients hold the URL.
     */
    public RedisServer start() throws IOException {
        for (int attempt = 1; ; attempt++) {
            List<String> command = new java.util.ArrayList<>(List.of("redis-server", "--port", Integer.toString(port),
                    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                    "--hash-max-listpack-entries", "1024", "--logfile", dir.resolve("redis.log").toString()));
            if (clusterNode) {
                command.addAll(List.of("--cluster-enabled", "yes", "--cluster-config-file",
                        dir.resolve("nodes.conf").toString()));
            }
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
            if (awaitPing()) {
                started = true;
                return this;
            }
            if (started || attempt == 3) {
                throw new IOException("redis-server exited; is it installed? (" + dir.resolve("redis.log") + ")");
            }
            port = freePort();
        }
    }

    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            process.waitFor();
            process = null;
        }
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() throws Exception {
        stop();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Waits until the server answers PING (a readiness probe, not a sleep); false when the process exited. */
    private boolean awaitPing() throws IOException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                return false;
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] reply = new byte[7];
                int n = socket.getInputStream().read(reply);
                if (n > 0 && new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                    return true;
                }
            } catch (IOException notYet) {
                Thread.onSpinWait();
            }
        }
        throw new IOException("redis-server did not answer PING in time");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
