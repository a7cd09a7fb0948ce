package be.audiencematch.crypto;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportKeysTest {

    @Test
    void productionRefusesToStartWithoutKeysAndSaysWhichVariable() throws Exception {
        Path dir = Files.createTempDirectory("am-prod-keys-");
        try {
            ExportKeys keys = new ExportKeys(Optional.of(dir.resolve("ring.json").toString()),
                    Optional.of(dir.resolve("adsdata-public.key").toString()), false, dir.toString());
            IllegalStateException refused = assertThrows(IllegalStateException.class, keys::load);
            assertTrue(refused.getMessage().contains("AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE"));
            assertTrue(refused.getMessage().contains("AUDIENCE_MATCH_ADSDATA_PUBLIC_KEY_FILE"));
            assertTrue(refused.getMessage().contains("refusing to start"));
            try (var files = Files.list(dir)) {
                assertEquals(0, files.count(), "production never makes keys");
            }
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void developmentMakesTheKeysOnceAndRotationAddsACurrentVersion() throws Exception {
        Path dir = Files.createTempDirectory("am-dev-keys-");
        try {
            ExportKeys keys = new ExportKeys(Optional.empty(), Optional.empty(), true, dir.toString());
            keys.load();
            assertEquals("v1", keys.ring().current());
            byte[] first = keys.ring().currentKey();
            keys.load();
            assertEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(keys.ring().currentKey()),
                    "existing keys are kept");
            Path ring = dir.resolve("pseudonym-keys.json");
            PseudonymKeyRing.read(ring).rotated().write(ring);
            keys.load();
            assertEquals("v2", keys.ring().current());
            assertNotEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(keys.ring().currentKey()));
            assertEquals(2, keys.ring().keys().size(), "the old version stays in the ring");
            assertEquals(32, keys.partnerPublicKey().length);
        } finally {
            try (var files = Files.list(dir)) {
                files.forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
    }
}
