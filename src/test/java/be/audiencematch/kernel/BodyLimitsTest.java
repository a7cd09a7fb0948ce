package be.audiencematch.kernel;

import be.audiencematch.support.Fixtures;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.inject.Inject;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;

import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bodies are bounded as they are read, not as they are declared: a gzip JSON body that inflates past 1 MiB and a
 * chunked one (neither with a Content-Length over the limit) are 413; JSON nesting, upload line length and lines per
 * upload are bounded too (kernel/Limits).
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class BodyLimitsTest {

    private static final int MIB = 1024 * 1024;
    private static final String SUBSCRIBER = "\"identifiers\":[],\"consents\":{\"tv\":true}}";

    private static byte[] gzip(String head, long spaces, String tail) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(head.getBytes(StandardCharsets.UTF_8));
            byte[] blank = new byte[64 * 1024];
            Arrays.fill(blank, (byte) ' ');
            for (long left = spaces; left > 0; left -= blank.length) {
                gz.write(blank, 0, (int) Math.min(blank.length, left));
            }
            gz.write(tail.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    private static Response putGzip(String id, byte[] body) {
        return feed().contentType("application/json").header("Content-Encoding", "gzip").body(body)
                .put("/v1/subscribers/" + id);
    }

    @Test
    void aGzipJsonBodyThatInflatesPastTheLimitIs413() throws IOException {
        // Whitespace inside the object: valid JSON, which was read whole and stored (201) when only Content-Length
        // was checked.
        byte[] bomb = gzip("{", 64L * MIB, SUBSCRIBER);
        assertTrue(bomb.length < MIB / 4, "the compressed body is small: " + bomb.length);
        assertProblem(putGzip("gzip-bomb-1", bomb), 413, "exceeds " + MIB + " bytes");
        Fixtures.feed().delete("/v1/subscribers/gzip-bomb-1").then().statusCode(204);
        assertEquals(201, putGzip("gzip-fine-1", gzip("{", MIB - 1000, SUBSCRIBER)).statusCode(),
                "just under the limit after inflation");
    }

    /**
     * A chunked body is refused once the limit is read: the answer comes while the client is still sending (of 64 MB,
     * which was read to its end before, and its answer only after).
     * The request is written by hand, so that the test sees how much was sent when the answer arrived.
     */
    @Test
    void aChunkedJsonBodyIsRefusedBeforeItEnds() throws Exception {
        long body = 64L * MIB;
        AtomicLong sent = new AtomicLong();
        try (Socket socket = new Socket()) {
            socket.setSendBufferSize(64 * 1024);
            socket.setSoTimeout(60_000);
            socket.connect(new InetSocketAddress("localhost", RestAssured.port));
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/subscribers/chunked-1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                    + Fixtures.token("subscriber-feed", "feed") + "\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> statusLine(socket));
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                byte[] blank = new byte[64 * 1024];
                Arrays.fill(blank, (byte) ' ');
                try {
                    chunk(out, "{".getBytes(StandardCharsets.US_ASCII));
                    while (sent.get() < body && !answer.isDone()) {
                        chunk(out, blank);
                        sent.addAndGet(blank.length);
                    }
                    chunk(out, SUBSCRIBER.getBytes(StandardCharsets.US_ASCII));
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException closedByTheServer) {
                    // expected once the server has answered and closed
                }
            });
            String status = answer.get(60, TimeUnit.SECONDS);
            long sentWhenAnswered = sent.get();
            socket.close();
            sender.exceptionally(e -> null).get(60, TimeUnit.SECONDS);
            assertTrue(status.startsWith("HTTP/1.1 413"), status);
            // What was sent includes what the two kernels' socket buffers hold (a few MB on loopback), not only what
            // the service read; before the body was counted, the answer came after all of it.
            assertTrue(sentWhenAnswered < 16L * MIB, "the answer came after " + sentWhenAnswered + " bytes");
        }
    }

    private static void chunk(OutputStream out, byte[] data) throws IOException {
        out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(data);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    private static String statusLine(Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
                line.append((char) c);
            }
            return line.toString();
        } catch (IOException e) {
            return "no answer: " + e.getClass().getSimpleName();
        }
    }

    @Test
    void ordinaryJsonBodiesStillWork() {
        feed().contentType("application/json").body("{" + SUBSCRIBER).put("/v1/subscribers/plain-1")
                .then().statusCode(201);
        String padded = "{" + " ".repeat(200_000) + SUBSCRIBER;
        feed().contentType("application/json").body(padded).put("/v1/subscribers/plain-1").then().statusCode(200);
    }

    @Inject
    ObjectMapper json;

    /**
     * Our bodies' types refuse a nested value at its first wrong token, so the bound matters where JSON is read as a
     * tree; it is checked on the service's own mapper, which every body and bulk line goes through.
     */
    @Test
    void jsonNestedDeeperThanTheLimitIsRefusedByTheParser() throws IOException {
        String deep = "{\"a\":" + "[".repeat(40) + "]".repeat(40) + "}";
        JsonProcessingException e = assertThrows(JsonProcessingException.class, () -> json.readTree(deep));
        assertEquals("JSON nested more deeply than allowed", JsonProblems.describe(e));
        String allowed = "{\"a\":" + "[".repeat(15) + "]".repeat(15) + "}";
        assertEquals(1, json.readTree(allowed).size());
    }

    @Test
    void anUploadLineOverTheLineLengthIs413() {
        int from = range(10);
        String id = createAudience("acme", "tv");
        assertProblem(upload("acme", id, emails(from, 3) + "a".repeat(70_000) + "\n"), 413,
                "line 4 is longer than 65536 bytes");
        assertEquals(0, (Integer) Fixtures.advertiser("acme").get("/v1/audiences/" + id).path("received"));
    }
}
