package be.audiencematch.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A TCP proxy in front of the service under test that, once, drops a connection after the service has answered a
 * request matching {@code trigger} and before the client gets that answer: the request was done, its answer lost,
 * as when a network fails at the worst moment.
 */
public final class FlakyProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int targetPort;
    private final Pattern trigger;
    private final AtomicBoolean armed = new AtomicBoolean(true);
    private final AtomicInteger dropped = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();

    public FlakyProxy(int targetPort, Pattern trigger) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.trigger = trigger;
        Thread accept = new Thread(this::accept, "flaky-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections dropped (answers lost). */
    public int dropped() {
        return dropped.get();
    }

    /** Requests that matched the trigger, the lost one included. */
    public int matching() {
        return requests.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                AtomicBoolean dropNextAnswer = new AtomicBoolean();
                start(() -> toService(client, upstream, dropNextAnswer));
                start(() -> toClient(upstream, client, dropNextAnswer));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void start(Runnable pump) {
        Thread thread = new Thread(pump, "flaky-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private void toService(Socket client, Socket upstream, AtomicBoolean dropNextAnswer) {
        StringBuilder seen = new StringBuilder();
        try (InputStream in = client.getInputStream(); OutputStream out = upstream.getOutputStream()) {
            byte[] buffer = new byte[16384];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                seen.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                if (trigger.matcher(seen).find()) {
                    requests.incrementAndGet();
                    if (armed.get()) {
                        dropNextAnswer.set(true);
                    }
                    seen.setLength(0);
                } else if (seen.length() > 4096) {
                    seen.delete(0, seen.length() - 256);
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // The other side closed.
        } finally {
            closeQuietly(client, upstream);
        }
    }

    private void toClient(Socket upstream, Socket client, AtomicBoolean dropNextAnswer) {
        try (InputStream in = upstream.getInputStream(); OutputStream out = client.getOutputStream()) {
            byte[] buffer = new byte[16384];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (dropNextAnswer.get() && armed.compareAndSet(true, false)) {
                    dropped.incrementAndGet();
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // The other side closed.
        } finally {
            closeQuietly(client, upstream);
        }
    }

    private static void closeQuietly(Socket... sockets) {
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing anyway.
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
