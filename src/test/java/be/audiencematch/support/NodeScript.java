package be.audiencematch.support;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a Node script of src/test/browser (the advertisers' page's tests) from the project directory, where the Maven
 * build has run {@code npm ci}. The scripts print counts only, so their output may go into an assertion message.
 * Outside CI a machine without node or chromium skips these tests with a message; in CI ({@code CI} set) they fail.
 */
public final class NodeScript {

    public static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

    private NodeScript() {
    }

    public static void assumeNode() {
        requireOrSkip(onPath("node") && Files.isDirectory(Path.of("node_modules")),
                "node and node_modules (npm ci, run by the Maven build) are needed");
    }

    public static void assumeChromium() {
        assumeNode();
        requireOrSkip(Files.isExecutable(CHROMIUM), "Debian's chromium is needed at " + CHROMIUM
                + " (apt-get install -y chromium; .ci/run installs it)");
    }

    private static void requireOrSkip(boolean present, String what) {
        if (!present) {
            assertTrue(System.getenv("CI") == null, "in CI the browser tests must run: " + what);
            Assumptions.abort("skipped outside CI: " + what);
        }
    }

    private static boolean onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code node script} with the extra environment; asserts exit status 0 within the timeout. */
    public static String run(String script, Map<String, String> environment, int timeoutSeconds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", script));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Path output = Files.createTempFile("am-node-", ".log");
        try {
            Process process = builder.redirectOutput(output.toFile()).start();
            boolean ended = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!ended) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            assertTrue(ended, () -> script + " did not end within " + timeoutSeconds + " s:\n" + text);
            assertEquals(0, process.exitValue(), () -> script + " failed:\n" + text);
            return text;
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
