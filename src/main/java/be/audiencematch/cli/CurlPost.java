package be.audiencematch.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.IntFunction;

/**
 * A request body posted by {@code curl} from a file: a load generator that takes little of the two cores the service
 * and Redis share with it. The benchmarks time the bulk load this way; Java's HTTP client, posting 330 MB from the
 * benchmark's own heap, took 10-20 % of the rate for itself.
 */
final class CurlPost {

    /** What one post took and how the service answered. */
    record Result(double seconds, int status, String body) {
    }

    private CurlPost() {
    }

    /** Writes a request body to the file curl posts from. */
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * A benchmark's bulk load: {@code count} NDJSON lines to {@code /v1/subscribers/bulk}, which must take every line.
     * The lines go straight to the file (3.3 GB at 10M subscribers: more than a Java array holds). Returns seconds.
     */
    static double bulkLoad(String baseUrl, String token, int count, IntFunction<String> line)
            throws IOException, InterruptedException {
        Result load = post(baseUrl + "/v1/subscribers/bulk", token, "application/x-ndjson", out -> {
            for (int i = 0; i < count; i++) {
                out.write(line.apply(i).getBytes(StandardCharsets.UTF_8));
            }
        });
        if (load.status() != 200 || !load.body().contains("\"rejected\":0")) {
            throw new IllegalStateException("the bulk load answered " + load.status()
                    + (load.status() == 200 ? " with rejected lines" : ""));
        }
        return load.seconds();
    }

    static Result post(String url, String token, String contentType, Body body) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("am-curl-post");
        try {
            Path file = dir.resolve("body");
            // On disk before the clock starts: the kernel writing 330 MB back during the load would share its cores.
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20);
                body.writeTo(out);
                out.flush();
                channel.force(true);
            }
            // The token goes in a header file, not on curl's command line where other local users could read it.
            Path headers = Files.writeString(dir.resolve("headers"),
                    "Authorization: Bearer " + token + "\nContent-Type: " + contentType + "\n");
            Path answer = dir.resolve("answer");
            long t0 = System.nanoTime();
            Process curl = new ProcessBuilder("curl", "-sS", "-o", answer.toString(), "-w", "%{http_code}",
                    "-X", "POST", "-H", "@" + headers, "-T", file.toString(), url)
                    .redirectErrorStream(true).start();
            String status = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            curl.waitFor();
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (!status.matches("\\d{3}")) {
                throw new IOException("curl failed: " + status);
            }
            String answerText = Files.exists(answer) ? Files.readString(answer) : "";
            return new Result(seconds, Integer.parseInt(status), answerText);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }
}
