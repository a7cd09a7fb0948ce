package be.audiencematch.crypto;

import be.audiencematch.cli.Cli;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pseudonym key's age: stamped when a version is made, judged at start (docs/ads-and-data.md, "Key age"). */
class KeyAgeTest {

    private static final Instant MADE = Instant.parse("2025-03-01T08:00:00Z");
    private static final KeyAge POLICY = new KeyAge(KeyAge.DEFAULT_WARN, KeyAge.DEFAULT_REFUSE);

    private static PseudonymKeyRing madeAt(Instant when) {
        return PseudonymKeyRing.generate(Clock.fixed(when, ZoneOffset.UTC));
    }

    @Test
    void aKeyIsFreshForTwelveMonthsThenWarnedAboutThenRefusedPastThirteen() {
        PseudonymKeyRing ring = madeAt(MADE);
        assertEquals(KeyAge.Verdict.FRESH, POLICY.judge(ring, MADE.plus(Duration.ofDays(364))).verdict());
        assertEquals(KeyAge.Verdict.WARN, POLICY.judge(ring, MADE.plus(Duration.ofDays(365))).verdict());
        assertEquals(KeyAge.Verdict.WARN, POLICY.judge(ring, MADE.plus(Duration.ofDays(396))).verdict());
        KeyAge.Decision refused = POLICY.judge(ring, MADE.plus(Duration.ofDays(397)));
        assertEquals(KeyAge.Verdict.REFUSE, refused.verdict());
        assertTrue(refused.message().contains("AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE"), refused.message());
        assertTrue(refused.message().contains("keys rotate-pseudonym"), refused.message());
    }

    @Test
    void thresholdsAreConfigurable() {
        KeyAge strict = new KeyAge(Duration.ofDays(30), Duration.ofDays(60));
        PseudonymKeyRing ring = madeAt(MADE);
        assertEquals(KeyAge.Verdict.WARN, strict.judge(ring, MADE.plus(Duration.ofDays(31))).verdict());
        assertEquals(KeyAge.Verdict.REFUSE, strict.judge(ring, MADE.plus(Duration.ofDays(61))).verdict());
        assertThrows(IllegalArgumentException.class, () -> new KeyAge(Duration.ofDays(60), Duration.ofDays(30)));
    }

    @Test
    void rotationStampsTheNewVersionAndTheDatesSurviveTheFile() throws Exception {
        Path dir = Files.createTempDirectory("am-key-age-");
        Path file = dir.resolve("ring.json");
        try {
            madeAt(MADE).write(file);
            Instant later = MADE.plus(Duration.ofDays(300));
            PseudonymKeyRing rotated = PseudonymKeyRing.read(file).rotated(Clock.fixed(later, ZoneOffset.UTC));
            rotated.write(file);
            PseudonymKeyRing read = PseudonymKeyRing.read(file);
            assertEquals("v2", read.current());
            assertEquals(Optional.of(later), read.currentCreatedAt());
            assertEquals(MADE, read.createdAt().get("v1"), "older versions keep their dates");
            // The old key would be refused; the rotated one is fresh.
            Instant now = MADE.plus(Duration.ofDays(400));
            assertEquals(KeyAge.Verdict.REFUSE, POLICY.judge(new PseudonymKeyRing("v1", read.keys(),
                    read.createdAt()), now).verdict());
            assertEquals(KeyAge.Verdict.FRESH, POLICY.judge(read, now).verdict());
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aRingWithoutDatesIsReadAsUnknownAndWarnedAboutNotRefused() throws Exception {
        Path dir = Files.createTempDirectory("am-key-age-");
        Path file = dir.resolve("ring.json");
        try {
            Files.writeString(file, "{\"current\":\"v1\",\"keys\":{\"v1\":\"" + "A".repeat(43) + "\"}}");
            PseudonymKeyRing ring = PseudonymKeyRing.read(file);
            assertTrue(ring.currentCreatedAt().isEmpty());
            assertEquals(KeyAge.Verdict.UNKNOWN, POLICY.judge(ring, Instant.now()).verdict());
            ExportKeys keys = keysFor(ring, file, dir);
            assertDoesNotThrow(() -> keys.checkAge(POLICY, Instant.now(), true));
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir.resolve("adsdata-public.key"));
            Files.deleteIfExists(dir.resolve("adsdata-private.key"));
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void productionRefusesToStartWithATooOldKeyOtherProfilesOnlyWarn() throws Exception {
        Path dir = Files.createTempDirectory("am-key-age-");
        Path file = dir.resolve("ring.json");
        try {
            PseudonymKeyRing ring = madeAt(MADE);
            ring.write(file);
            ExportKeys keys = keysFor(ring, file, dir);
            Instant old = MADE.plus(Duration.ofDays(400));
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> keys.checkAge(POLICY, old, true));
            assertTrue(refused.getMessage().contains("AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE"));
            assertTrue(refused.getMessage().contains("refusing to start"));
            assertDoesNotThrow(() -> keys.checkAge(POLICY, old, false));
            assertDoesNotThrow(() -> keys.checkAge(POLICY, MADE.plus(Duration.ofDays(10)), true));
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir.resolve("adsdata-public.key"));
            Files.deleteIfExists(dir.resolve("adsdata-private.key"));
            Files.deleteIfExists(dir);
        }
    }

    /** The launcher's commands stamp the date: 'keys pseudonym' on v1, 'keys rotate-pseudonym' on the new version. */
    @Test
    void theLaunchersKeyCommandsStampTheDate() throws Exception {
        Path home = Files.createTempDirectory("am-key-age-home-");
        Path file = home.resolve("ring.json");
        try {
            Instant before = Instant.now().minusSeconds(1);
            assertEquals(0, cli(home, "keys", "pseudonym", "--out", file.toString()));
            Instant v1 = PseudonymKeyRing.read(file).currentCreatedAt().orElseThrow();
            assertEquals(0, cli(home, "keys", "rotate-pseudonym", "--file", file.toString()));
            PseudonymKeyRing rotated = PseudonymKeyRing.read(file);
            Instant after = Instant.now().plusSeconds(1);
            assertEquals("v2", rotated.current());
            Instant v2 = rotated.currentCreatedAt().orElseThrow();
            assertTrue(!v1.isBefore(before) && !v2.isAfter(after) && !v2.isBefore(v1), v1 + " " + v2);
            assertFalse(Files.readString(file).isBlank());
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(home);
        }
    }

    private static ExportKeys keysFor(PseudonymKeyRing ring, Path file, Path dir) throws Exception {
        ExportKeys keys = new ExportKeys(Optional.of(file.toString()), Optional.empty(), true, dir.toString());
        keys.load();
        assertEquals(ring.current(), keys.ring().current());
        return keys;
    }

    private static int cli(Path home, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Cli.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("AUDIENCE_MATCH_HOME", home.toString());
        return builder.start().waitFor();
    }
}
