package be.audiencematch.cli;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher's Java commands, run as a user runs them: a separate JVM, arguments, stdin, stdout, exit code. */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class CliTest {

    /** The outcome of one command. */
    record Run(int exit, String out, String err) {
    }

    private static Run cli(Path home, byte[] stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Cli.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("AUDIENCE_MATCH_HOME", home.toString());
        Path out = Files.createTempFile("am-cli-", ".out");
        Path err = Files.createTempFile("am-cli-", ".err");
        Process p = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try (var in = p.getOutputStream()) {
            in.write(stdin);
        }
        if (!p.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the command did not end within 3 minutes");
        }
        int exit = p.exitValue();
        Run run = new Run(exit, Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return run;
    }

    private static String sha256(String value) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    }

    private final List<Path> homes = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void removeHomes() throws IOException {
        for (Path home : homes) {
            try (var files = Files.walk(home)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A launcher home whose token keys are the ones the service under test trusts. */
    private Path home() throws IOException {
        Path home = Files.createTempDirectory("am-home-");
        homes.add(home);
        Path jwt = Files.createDirectories(home.resolve(".local/jwt"));
        Files.copy(TestEnvironment.keys().privateKey(), jwt.resolve("private.pem"));
        Files.copy(TestEnvironment.keys().publicKey(), jwt.resolve("public.pem"));
        return home;
    }

    @Test
    void hashNormalisesAsDocumented() throws Exception {
        Path home = home();
        Run phones = cli(home, new byte[0], "hash", "--type", "phone", "0475 12 34 56", "0032 475 12 34 56",
                "+32 475/12.34.56");
        assertEquals(0, phones.exit(), phones.err());
        String expected = sha256("+32475123456");
        assertEquals(List.of(expected, expected, expected), phones.out().lines().toList());

        Run emails = cli(home, " Jan.Peeters@Example.BE \n\nmarie@example.be\n".getBytes(StandardCharsets.UTF_8),
                "hash", "--type", "email");
        assertEquals(List.of(sha256("jan.peeters@example.be"), sha256("marie@example.be")), emails.out().lines().toList());

        Run bad = cli(home, new byte[0], "hash", "--type", "phone", "call me maybe");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("value 1"), "says which value, by position");
        assertTrue(!bad.err().contains("call me"), "never echoes the value");
    }

    @Test
    void aTokenFromTheLauncherIsAcceptedAndAnUnknownRoleIsRefused() throws Exception {
        Path home = home();
        Run token = cli(home, new byte[0], "token", "--role", "adserver", "--sub", "pickx", "--ttl", "60");
        assertEquals(0, token.exit(), token.err());
        RestAssured.given().header("Authorization", "Bearer " + token.out().strip()).get("/v1/ping").then().statusCode(200);
        assertEquals(2, cli(home, new byte[0], "token", "--role", "root").exit());
    }

    @Test
    void theReferenceDecryptorReadsAnExportAndRefusesATamperedOne() throws Exception {
        int from = range(5);
        loadSubscribers(from, 5, i -> true, i -> true, i -> true);
        String segment = "cli-" + from;
        putSegment(segment, "tv", emails(from, 5));
        byte[] export = as("adsdata", "ads-and-data").get("/v1/exports/ads-and-data/segments/" + segment).asByteArray();
        String key = TestEnvironment.exportKeyDir().resolve("adsdata-private.key").toString();

        Run decrypted = cli(home(), export, "decrypt", "--private-key", key);
        assertEquals(0, decrypted.exit(), decrypted.err());
        List<String> lines = decrypted.out().lines().toList();
        assertEquals(1, lines.size());
        Map<?, ?> chunk = new com.fasterxml.jackson.databind.ObjectMapper().readValue(lines.get(0), Map.class);
        assertEquals(segment, chunk.get("segment"));
        assertEquals(5, ((List<?>) chunk.get("added")).size());

        byte[] tampered = export.clone();
        tampered[tampered.length - 20] ^= 0x40;
        Run refused = cli(home(), tampered, "decrypt", "--private-key", key);
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("does not decrypt"), refused.err());
    }

    // ---- upload, as an advertiser runs it: clear text in a CSV, hashed locally, chunks that count once ----

    private static String serviceUrl(int port) {
        return "http://127.0.0.1:" + port;
    }

    private Path tokenFile(Path home, String advertiser) throws IOException {
        Path file = home.resolve("advertiser.token");
        Files.writeString(file, be.audiencematch.support.Fixtures.token("advertiser", advertiser));
        return file;
    }

    /** A CSV as advertisers export them: a header, the e-mail in mixed case and padded, other columns around it. */
    private static Path customers(Path home, int from, int count, int invalid) throws IOException {
        StringBuilder csv = new StringBuilder("customer,Email,city\n");
        for (int i = from; i < from + count; i++) {
            String email = SyntheticBase.email(i);
            String mixed = i % 2 == 0 ? "  " + email.toUpperCase(java.util.Locale.ROOT) + " "
                    : Character.toUpperCase(email.charAt(0)) + email.substring(1).replace("example.be", "Example.BE");
            csv.append(i).append(",\"").append(mixed).append("\",Gent\n");
        }
        for (int k = 0; k < invalid; k++) {
            csv.append(k % 2 == 0 ? "x,no address here,Gent\n" : "y,,Gent\n");
        }
        Path file = home.resolve("customers.csv");
        Files.writeString(file, csv);
        return file;
    }

    private static Map<?, ?> jsonLine(Run run) throws IOException {
        List<String> lines = run.out().lines().toList();
        assertEquals(1, lines.size(), "stdout holds one JSON line: " + run.out());
        return new com.fasterxml.jackson.databind.ObjectMapper().readValue(lines.get(0), Map.class);
    }

    @Test
    void uploadHashesAListAsTheServiceWouldAndPrintsProgressLinesAndOneJsonLine() throws Exception {
        int from = range(250);
        loadSubscribers(from, 250, i -> i < from + 230, i -> false, i -> false);
        Path home = home();
        Path csv = customers(home, from, 250, 3);

        Run run = cli(home, new byte[0], "upload", "--base-url", serviceUrl(RestAssured.port), "--token-file",
                tokenFile(home, "cli-upload").toString(), "--new", "CLI list", "--channel", "tv",
                "--email-column", "Email", "--chunk-rows", "100", csv.toString());
        assertEquals(0, run.exit(), run.err());

        // Not a terminal: plain lines on stderr, one per chunk, then the end.
        List<String> progress = run.err().lines().filter(l -> l.startsWith("upload: chunk")).toList();
        assertEquals(3, progress.size(), run.err());
        assertTrue(progress.get(0).matches("upload: chunk 1 sent: 100 rows, \\d+ rows/s, \\d+% of the file, ETA \\d+:\\d\\d"),
                progress.get(0));
        assertTrue(run.err().contains("upload: done: 253 rows"), run.err());
        assertFalse(run.err().contains("\r"), "no bar redrawn in place when not on a terminal");
        assertFalse(run.err().contains("@example.be") || run.out().contains("@example.be"), "no address is shown");

        Map<?, ?> line = jsonLine(run);
        Map<?, ?> totals = (Map<?, ?>) line.get("upload");
        assertEquals(253, totals.get("rows"));
        assertEquals(3, totals.get("not_normalised"), "invalid rows are counted locally and never sent");
        assertEquals(250, totals.get("sent"));
        assertEquals(3, totals.get("chunks"));
        assertEquals(0, totals.get("retries"));

        // The same list hashed in Java and uploaded through the API gets the very same report.
        String byApi = be.audiencematch.support.Fixtures.createAudience("cli-upload", "tv");
        be.audiencematch.support.Fixtures.upload("cli-upload", byApi, emails(from, 250)).then().statusCode(200);
        Map<?, ?> report = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                be.audiencematch.support.Fixtures.advertiser("cli-upload").get("/v1/audiences/" + byApi).asString(),
                Map.class);
        for (String field : List.of("received", "valid", "invalid", "plaintext_rejected", "matched", "below_threshold",
                "channel", "identifier_type")) {
            assertEquals(report.get(field), line.get(field), field);
        }
        assertEquals(230, line.get("matched"));
        assertEquals("CLI list", line.get("name"));
    }

    @Test
    void anUploadResumesAfterALostAnswerAndCountsEveryRowOnce() throws Exception {
        int from = range(300);
        loadSubscribers(from, 300, i -> true, i -> false, i -> false);
        Path home = home();
        Path csv = customers(home, from, 300, 0);
        String audience = be.audiencematch.support.Fixtures.createAudience("cli-resume", "tv");
        // Chunk 2's answer is lost once, after the service counted it.
        java.util.regex.Pattern chunk2 = java.util.regex.Pattern.compile("(?i)idempotency-key: [0-9a-f-]{36}-2\r\n");
        try (be.audiencematch.support.FlakyProxy proxy = new be.audiencematch.support.FlakyProxy(RestAssured.port, chunk2)) {
            Run run = cli(home, new byte[0], "upload", "--base-url", serviceUrl(proxy.port()), "--token-file",
                    tokenFile(home, "cli-resume").toString(), "--audience", audience, "--email-column", "2",
                    "--chunk-rows", "100", "--progress", "lines", csv.toString());
            assertEquals(0, run.exit(), run.err());
            assertEquals(1, proxy.dropped(), "the proxy lost one answer");
            assertEquals(2, proxy.matching(), "chunk 2 was sent twice");
            assertTrue(run.err().contains("chunk 2 lost its connection; sending it again"), run.err());
            Map<?, ?> line = jsonLine(run);
            assertEquals(1, ((Map<?, ?>) line.get("upload")).get("retries"));
            assertEquals(300, line.get("received"), "every row counted exactly once");
            assertEquals(300, line.get("matched"));
        }
        assertEquals(300, (Integer) be.audiencematch.support.Fixtures.advertiser("cli-resume")
                .get("/v1/audiences/" + audience).path("received"));
    }

    @Test
    void a429StopsTheUploadWithTheProblemsDetailInsteadOfLooping() throws Exception {
        java.util.concurrent.atomic.AtomicInteger posts = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer budget = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        budget.createContext("/", exchange -> {
            posts.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            byte[] problem = "{\"status\":429,\"title\":\"Too Many Requests\",\"detail\":\"the audience's privacy budget is spent\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/problem+json");
            exchange.getResponseHeaders().add("Retry-After", "3600");
            exchange.sendResponseHeaders(429, problem.length);
            exchange.getResponseBody().write(problem);
            exchange.close();
        });
        budget.start();
        try {
            Path home = home();
            Run run = cli(home, new byte[0], "upload", "--base-url", serviceUrl(budget.getAddress().getPort()),
                    "--token", "t", "--audience", "aud_x", customers(home, 1, 5, 0).toString());
            assertEquals(1, run.exit(), run.err());
            assertTrue(run.err().contains("429: the audience's privacy budget is spent"), run.err());
            assertEquals(1, posts.get(), "no retry on 429");
            assertEquals("", run.out());
        } finally {
            budget.stop(0);
        }
    }

    // ---- --help everywhere, and a wrong option named ----

    private static Run inProcess(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine line = Cli.commandLine();
        line.setOut(new java.io.PrintWriter(out, true));
        line.setErr(new java.io.PrintWriter(err, true));
        int exit = line.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void everyJavaCommandAnswersHelpAndNamesAWrongOption() {
        List<List<String>> commands = List.of(List.of("token"), List.of("hash"), List.of("keys"), List.of("keys", "adsdata"),
                List.of("keys", "pseudonym"), List.of("keys", "rotate-pseudonym"), List.of("decrypt"),
                List.of("ensure-keys"), List.of("upload"), List.of("audiences"), List.of("report"), List.of("delete"),
                List.of("demo-seed"), List.of("bench"), List.of("bench-export"), List.of("bench-bulk"),
                List.of("seed-load"), List.of("bench-eligibility"));
        for (List<String> command : commands) {
            List<String> help = new ArrayList<>(command);
            help.add("--help");
            Run run = inProcess(help.toArray(String[]::new));
            assertEquals(0, run.exit(), command + ": " + run.err());
            assertTrue(run.out().startsWith("Usage: audience-match " + String.join(" ", command)), command + ": " + run.out());

            List<String> wrong = new ArrayList<>(command);
            wrong.add("--no-such-option");
            Run refused = inProcess(wrong.toArray(String[]::new));
            assertEquals(2, refused.exit(), command.toString());
            assertTrue(refused.err().contains("unknown option --no-such-option"), command + ": " + refused.err());
        }
        assertEquals(0, inProcess("--help").exit());
        Run typo = inProcess("upload", "--emial-column", "x", "--audience", "a", "f.csv");
        assertTrue(typo.err().contains("--email-column"), "suggests the option meant: " + typo.err());
        assertFalse(typo.err().contains("f.csv"), "names options, not values");
    }

    /**
     * Every option the launcher passes to a Java command exists there: bin/audience-match once passed
     * --management-url to bench-eligibility, which refused it, so `bench eligibility` stopped after its seeding.
     */
    @Test
    void everyOptionTheLauncherPassesToAJavaCommandIsOneOfItsOptions() throws Exception {
        String launcher = java.nio.file.Files.readString(java.nio.file.Path.of("bin/audience-match"))
                .replace("\\\n", " ");
        java.util.regex.Matcher call = java.util.regex.Pattern.compile("(?m)[\\s(]cli ([a-z][a-z-]*)([^\\n)]*)")
                .matcher(launcher);
        int checked = 0;
        while (call.find()) {
            String command = call.group(1);
            String help = inProcess(command, "--help").out();
            java.util.regex.Matcher option = java.util.regex.Pattern.compile("(?<![\\w-])(--[a-z][a-z-]*)")
                    .matcher(call.group(2));
            while (option.find()) {
                boolean known = java.util.regex.Pattern.compile("(?<![\\w-])" + java.util.regex.Pattern.quote(
                        option.group(1)) + "(?![\\w-])").matcher(help).find();
                assertTrue(known, "bin/audience-match passes " + option.group(1) + " to " + command
                        + ", which does not know it");
                checked++;
            }
        }
        assertTrue(checked >= 10, "found the launcher's calls: " + checked);
    }

    /** The launcher itself, as a user runs it: bash, arguments, exit code; bounded in time. */
    private static Run launcher(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", "bin/audience-match"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(args[0] + " did not answer within 30 s: it started something");
        }
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void theLaunchersOwnCommandsAnswerHelpBeforeStartingAnythingAndRefuseAWrongOption() throws Exception {
        for (String[] help : new String[][] {{"demo", "--help"}, {"serve", "--help"}, {"serve", "-h"}, {"bench", "--help"},
                {"bench", "eligibility", "-h"}, {"bench", "export", "--help"}, {"bench", "bulk", "--help"},
                {"bench", "fanout", "--help"},
                {"load", "--help"}, {"load", "all", "-h"}, {"--help"}}) {
            Run run = launcher(help);
            assertEquals(0, run.exit(), String.join(" ", help) + ": " + run.err());
            assertTrue(run.out().startsWith("usage: bin/audience-match"), String.join(" ", help) + ": " + run.out());
            assertEquals("", run.err(), "nothing built or started: " + String.join(" ", help));
        }
        for (String[] wrong : new String[][] {{"demo", "--subscriber", "5"}, {"serve", "--port", "1"},
                {"bench", "--member", "5"}, {"bench", "eligibility", "--rate", "5"}, {"load", "all", "--rat", "5"}}) {
            Run run = launcher(wrong);
            assertEquals(2, run.exit(), String.join(" ", wrong));
            assertTrue(run.err().contains("unknown option " + wrong[wrong.length - 2]), run.err());
        }
    }
}
