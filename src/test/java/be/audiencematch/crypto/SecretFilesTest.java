package be.audiencematch.crypto;

import be.audiencematch.cli.LocalKeys;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Key files are made readable by their owner only, and reading one that others may read is warned about. */
class SecretFilesTest {

    private Path dir;
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                warnings.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("am-secret-files-");
        Logger.getLogger(SecretFiles.class.getName()).addHandler(capture);
    }

    @AfterEach
    void tearDown() throws Exception {
        Logger.getLogger(SecretFiles.class.getName()).removeHandler(capture);
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private static String permissions(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void privateKeysAndTheKeyRingAreWrittenReadableByTheirOwnerOnly() throws Exception {
        Path privateKey = dir.resolve("adsdata-private.key");
        Path ring = dir.resolve("pseudonym-keys.json");
        // Files left world-readable by an earlier version are replaced, not reused with their permissions.
        for (Path old : List.of(privateKey, ring)) {
            Files.writeString(old, "old");
            Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-r--r--"));
        }
        byte[][] pair = AdsDataCipher.generateKeyPair();
        ExportKeys.KeyFiles.writeKey(privateKey, pair[0], true);
        ExportKeys.KeyFiles.writeKey(dir.resolve("adsdata-public.key"), pair[1], false);
        PseudonymKeyRing.generate().write(ring);
        LocalKeys local = new LocalKeys(dir.resolve("jwt")).ensure();

        assertEquals("rw-------", permissions(privateKey));
        assertEquals("rw-------", permissions(ring));
        assertEquals("rw-------", permissions(local.privateKey()));
        assertTrue(SecretFiles.readableByOthers(dir.resolve("adsdata-public.key")), "a public key stays readable");
        assertEquals(32, ExportKeys.KeyFiles.readKey(privateKey).length);
        assertEquals("v1", PseudonymKeyRing.read(ring).current());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.filter(f -> f.getFileName().toString().endsWith(".tmp")).count(), "no temporary file left");
        }
        assertTrue(warnings.isEmpty(), "writing warns about nothing");
    }

    @Test
    void readingAKeyFileOthersMayReadWarnsWithoutShowingTheKey() throws Exception {
        Path ring = dir.resolve("pseudonym-keys.json");
        Path partner = dir.resolve("adsdata-public.key");
        ExportKeys.KeyFiles.ensureDevKeys(ring, partner);
        ExportKeys keys = new ExportKeys(Optional.of(ring.toString()), Optional.of(partner.toString()), false,
                dir.toString());

        keys.load();
        assertEquals(List.of(), warnings, "a 0600 ring: nothing to say");

        Files.setPosixFilePermissions(ring, PosixFilePermissions.fromString("rw-r--r--"));
        keys.load();
        assertEquals(1, warnings.size(), "a world-readable ring is warned about");
        assertTrue(warnings.get(0).contains("pseudonym-keys.json") && warnings.get(0).contains("chmod 600"));
        String key = Base64.getUrlEncoder().withoutPadding().encodeToString(keys.ring().currentKey());
        assertFalse(warnings.get(0).contains(key), "the warning never shows key material");

        Files.setPosixFilePermissions(ring, PosixFilePermissions.fromString("rw-r-----"));
        keys.load();
        assertEquals(2, warnings.size(), "group-readable too");

        Path privateKey = dir.resolve("adsdata-private.key");
        Files.setPosixFilePermissions(privateKey, PosixFilePermissions.fromString("rw-rw-r--"));
        ExportKeys.KeyFiles.readSecretKey(privateKey);
        assertEquals(3, warnings.size(), "the decryptor's private key too");
        assertTrue(warnings.get(2).contains("adsdata-private.key"));
    }
}
