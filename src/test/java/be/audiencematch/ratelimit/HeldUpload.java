package be.audiencematch.ratelimit;

import be.audiencematch.support.Fixtures;
import io.restassured.RestAssured;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** A bulk load whose body curl streams from a pipe, a piece at a time, held open until the test lets it end. */
final class HeldUpload {

    private final Process curl;
    private final OutputStream body;

    private HeldUpload(String subject) throws Exception {
        curl = new ProcessBuilder("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-T", "-",
                "-H", "Authorization: Bearer " + Fixtures.token("subscriber-feed", subject),
                "-H", "Content-Type: application/x-ndjson",
                "http://localhost:" + RestAssured.port + "/v1/subscribers/bulk")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        body = curl.getOutputStream();
    }

    /** Starts the load with its first line; the body stays open. */
    static HeldUpload start(String subject, String firstLine) throws Exception {
        HeldUpload upload = new HeldUpload(subject);
        upload.body.write((firstLine + "\n").getBytes(StandardCharsets.UTF_8));
        upload.body.flush();
        return upload;
    }

    /** Ends the body and waits for the answer's status. */
    int finish() throws Exception {
        body.close();
        if (!curl.waitFor(60, TimeUnit.SECONDS)) {
            curl.destroy();
            throw new AssertionError("the held load was not answered");
        }
        return Integer.parseInt(new String(curl.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim());
    }

    /** Whether the server answered already (curl ended). */
    boolean answered() {
        return !curl.isAlive();
    }
}
