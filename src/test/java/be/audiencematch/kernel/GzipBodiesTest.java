package be.audiencematch.kernel;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.feed;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Gzip bodies are inflated by the service as it reads them (kernel/GzipBodies), not by the HTTP layer up front. */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class GzipBodiesTest {

    @Test
    void aGzipUploadIsInflatedAsItIsReadAndABrokenOneIsABadRequest() throws Exception {
        String audience = createAudience("gzip", "tv");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(("00".repeat(32) + "\nnot a digest\n").getBytes(StandardCharsets.UTF_8));
        }
        var uploaded = advertiser("gzip").contentType("text/plain").header("Content-Encoding", "gzip")
                .body(bytes.toByteArray()).post("/v1/audiences/" + audience + "/members");
        assertEquals(200, uploaded.statusCode(), uploaded::asString);
        assertEquals(2, (Integer) uploaded.path("received"));
        assertEquals(1, (Integer) uploaded.path("invalid"));

        byte[] notGzip = "{\"tv\":false}".getBytes(StandardCharsets.UTF_8);
        assertProblem(feed().contentType("application/json").header("Content-Encoding", "gzip").body(notGzip)
                .patch("/v1/subscribers/gzip-nobody/consents"), 400, "not valid gzip");
        assertProblem(advertiser("gzip").contentType("text/plain").header("Content-Encoding", "gzip")
                .body("plain text".getBytes(StandardCharsets.UTF_8)).post("/v1/audiences/" + audience + "/members"),
                400, "not valid gzip");
    }
}
