package be.audiencematch.export;

import be.audiencematch.crypto.AdsDataCipher;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The partner's reader of an Ads & Data export (docs/ads-and-data.md) on any bytes: it hands out the header of a
 * whole, untouched export or refuses with Envelope.Unreadable, never anything else (the decrypt command shows only
 * that refusal's words). The corpus in EnvelopeFuzzTestInputs holds exports sealed to {@link #PUBLIC_KEY}; JAZZER_FUZZ=1
 * fuzzes.
 */
class EnvelopeFuzzTest {

    /** A fixed X25519 key derived at run time, so the committed seeds open; it guards nothing. */
    static final byte[] PRIVATE_KEY = sha256("audience-match fuzz corpus key");
    static final byte[] PUBLIC_KEY = AdsDataCipher.publicKeyOf(PRIVATE_KEY);

    @FuzzTest
    void exportIsReadOrRefused(byte[] export) {
        try {
            Envelope.Header header = Envelope.read(new ByteArrayInputStream(export), PRIVATE_KEY, chunk -> {
            });
            assertNotNull(header);
        } catch (Envelope.Unreadable refused) {
            assertNotNull(refused.getMessage());
        } catch (IOException e) {
            throw new AssertionError("only Envelope.Unreadable may come out: " + e.getClass().getName());
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
