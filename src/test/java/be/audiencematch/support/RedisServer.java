package be.audiencematch.support;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * A real redis-server of the test's own: free port, temporary folder, nothing persisted. {@link #withTlsAndAcl}: one
 * that speaks TLS only, with a certificate made at test time, and users from an ACL file.
 */
public final class RedisServer implements AutoCloseable {

    private final Path dir;
    private final boolean clusterNode;
    /** Null for a plain-text server. */
    private TestCertificates tls;
    private Path aclFile;
    private int port;
    private boolean started;
    private Process process;
    /** More redis-server options, given after the defaults (so they win). */
    private final List<String> extraArgs = new java.util.ArrayList<>();

    /** AOF on (fsync every second, as shipped): a restart in the same folder finds the data again. */
    private boolean appendOnly;

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
     * A server that accepts TLS only (no plain-text port; clients need not show a certificate) and knows the users of
     * {@code acl} (ACL file lines). Not started.
     */
    public static RedisServer withTlsAndAcl(String acl) throws IOException {
        RedisServer server = new RedisServer(false);
        server.tls = TestCertificates.create(server.dir);
        server.aclFile = server.dir.resolve("users.acl");
        Files.writeString(server.aclFile, acl, StandardCharsets.US_ASCII);
        return server;
    }

    /**
     * Starts the server. The first start takes another free port when redis-server exits at once (the port was taken
     * between the check and its bind); a restart keeps the port, as clients hold the URL.
     */
    public RedisServer start() throws IOException {
        for (int attempt = 1; ; attempt++) {
            List<String> command = new java.util.ArrayList<>(List.of("redis-server"));
            if (tls == null) {
                command.addAll(List.of("--port", Integer.toString(port)));
            } else {
                command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port),
                        "--tls-cert-file", tls.serverCertificate().toString(), "--tls-key-file", tls.serverKey().toString(),
                        "--tls-ca-cert-file", tls.ca().toString(), "--tls-auth-clients", "no",
                        "--aclfile", aclFile.toString()));
            }
            command.addAll(List.of("--bind", "127.0.0.1", "--save", "", "--appendonly", appendOnly ? "yes" : "no",
                    "--dir", dir.toString(),
                    "--hash-max-listpack-entries", "1024", "--logfile", dir.resolve("redis.log").toString()));
            if (clusterNode) {
                command.addAll(List.of("--cluster-enabled", "yes", "--cluster-config-file",
                        dir.resolve("nodes.conf").toString()));
            }
            command.addAll(extraArgs);
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

    /** More redis-server options (e.g. {@code --cluster-node-timeout 2000}) for the next start. */
    public RedisServer withArgs(String... args) {
        extraArgs.addAll(List.of(args));
        return this;
    }

    /** {@code kill -9}: the process dies at once, with nothing flushed or handed over. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor();
            process = null;
        }
    }

    /** Before {@link #start()}: keep an append-only file, so that a stop and start keeps the data (as shipped). */
    public RedisServer appendOnly() {
        this.appendOnly = true;
        return this;
    }

    /** Freezes the process (SIGSTOP): it holds its sockets but neither reads nor answers, like a stalled node. */
    public void suspend() throws IOException, InterruptedException {
        signal("-STOP");
    }

    /** Lets a {@link #suspend()}ed process run again (SIGCONT). */
    public void resume() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String which) throws IOException, InterruptedException {
        int exit = new ProcessBuilder("kill", which, Long.toString(process.pid())).inheritIO().start().waitFor();
        if (exit != 0) {
            throw new IOException("kill " + which + " failed");
        }
    }

    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            process.waitFor();
            process = null;
        }
    }

    /** True while the process runs (false after {@link #kill()} or {@link #stop()}). */
    public boolean running() {
        return process != null && process.isAlive();
    }

    public String url() {
        return (tls == null ? "redis://" : "rediss://") + "127.0.0.1:" + port;
    }

    /** The URL with an ACL user's credentials. */
    public String url(String user, String password) {
        return (tls == null ? "redis://" : "rediss://") + user + ":" + password + "@127.0.0.1:" + port;
    }

    /** The CA (PEM) that signed the certificate of a TLS server. */
    public Path caFile() {
        return tls.ca();
    }

    public int port() {
        return port;
    }

    /**
     * Closes this server when the JVM exits, for the servers a test environment starts once and shares with every
     * test class of the run. Returns it.
     */
    public RedisServer closeAtExit() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                close();
            } catch (Exception ignored) {
                // best effort at exit
            }
        }));
        return this;
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
            try (Socket socket = tls == null ? new Socket() : trustingTheCa().createSocket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] reply = new byte[7];
                int n = socket.getInputStream().read(reply);
                String answer = n > 0 ? new String(reply, 0, n, StandardCharsets.US_ASCII) : "";
                // With an ACL file the default user may be off: "authenticate first" is an answer too.
                if (answer.startsWith("+PONG") || answer.startsWith("-NOAUTH")) {
                    return true;
                }
            } catch (IOException notYet) {
                Thread.onSpinWait();
            }
        }
        throw new IOException("redis-server did not answer PING in time");
    }

    /** TLS sockets that trust this server's test CA. */
    private SSLSocketFactory trustingTheCa() throws IOException {
        try (var in = Files.newInputStream(tls.ca())) {
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
