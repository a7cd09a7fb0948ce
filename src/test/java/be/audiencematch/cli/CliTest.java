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
        int exit = p.waitFor();
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
}
