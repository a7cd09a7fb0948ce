package be.audiencematch.crypto;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContext;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The suite of the Ads & Data export against RFC 9180, appendix A.1.1 (base mode), read from the published test
 * vector file: keys, enc, shared_secret, key, base_nonce, the ciphertexts and the exported values.
 */
class HpkeRfc9180Test {

    private static final HexFormat HEX = HexFormat.of();
    private static Map<String, String> setup;
    private static List<Map<String, String>> encryptions;
    private static List<Map<String, String>> exports;

    @BeforeAll
    static void readVectors() throws IOException {
        String text;
        try (InputStream in = HpkeRfc9180Test.class.getResourceAsStream("/hpke-rfc9180-x25519-sha256-aes128gcm.md")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> blocks = new ArrayList<>();
        String[] parts = text.split("~~~");
        for (int i = 1; i < parts.length; i += 2) {
            blocks.add(parts[i]);
        }
        setup = parse(blocks.get(0)).get(0);
        encryptions = parse(blocks.get(1));
        exports = parse(blocks.get(2));
    }

    /** Reads "name: hex" entries (values may wrap onto following lines); a blank line starts a new record. */
    private static List<Map<String, String>> parse(String block) {
        List<Map<String, String>> records = new ArrayList<>();
        Map<String, String> current = new LinkedHashMap<>();
        String last = null;
        for (String line : block.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                if (!current.isEmpty()) {
                    records.add(current);
                    current = new LinkedHashMap<>();
                }
                continue;
            }
            int colon = trimmed.indexOf(':');
            if (colon > 0 && trimmed.substring(0, colon).matches("[a-zA-Z_ ]+")) {
                last = trimmed.substring(0, colon).strip();
                current.put(last, trimmed.substring(colon + 1).strip());
            } else if (last != null) {
                current.put(last, current.get(last) + trimmed);
            }
        }
        if (!current.isEmpty()) {
            records.add(current);
        }
        return records;
    }

    private static byte[] v(Map<String, String> record, String name) {
        return HEX.parseHex(record.get(name));
    }

    @Test
    void theSuiteIsTheOneTheVectorsDescribe() {
        assertEquals("0", setup.get("mode"));
        assertEquals("32", setup.get("kem_id"));
        assertEquals("1", setup.get("kdf_id"));
        assertEquals("1", setup.get("aead_id"));
    }

    @Test
    void keysEncAndCiphertextsMatch() throws Exception {
        HPKE hpke = AdsDataCipher.hpke();
        AsymmetricCipherKeyPair recipient = hpke.deriveKeyPair(v(setup, "ikmR"));
        AsymmetricCipherKeyPair ephemeral = hpke.deriveKeyPair(v(setup, "ikmE"));
        assertArrayEquals(v(setup, "pkRm"), hpke.serializePublicKey(recipient.getPublic()));
        // Bouncy Castle serialises X25519 private keys clamped (RFC 7748); the scalar, and so every output, is the same.
        assertArrayEquals(clamped(v(setup, "skRm")), clamped(hpke.serializePrivateKey(recipient.getPrivate())));
        assertArrayEquals(v(setup, "pkEm"), hpke.serializePublicKey(ephemeral.getPublic()));
        assertArrayEquals(clamped(v(setup, "skEm")), clamped(hpke.serializePrivateKey(ephemeral.getPrivate())));

        HPKEContextWithEncapsulation sender = hpke.setupBaseS(recipient.getPublic(), v(setup, "info"), ephemeral);
        assertArrayEquals(v(setup, "enc"), sender.getEncapsulation());
        HPKEContext receiver = AdsDataCipher.receiver(v(setup, "skRm"), v(setup, "pkRm"), v(setup, "enc"),
                v(setup, "info")).context();

        int sequence = 0;
        for (Map<String, String> e : encryptions) {
            int wanted = Integer.parseInt(e.get("sequence number"));
            while (sequence < wanted) {
                // the vectors skip sequence numbers: advance both contexts with throwaway messages
                receiver.open(new byte[0], sender.seal(new byte[0], new byte[0]));
                sequence++;
            }
            byte[] ct = sender.seal(v(e, "aad"), v(e, "pt"));
            assertArrayEquals(v(e, "ct"), ct, "ciphertext at sequence " + wanted);
            assertArrayEquals(v(e, "pt"), receiver.open(v(e, "aad"), ct));
            sequence++;
        }

        for (Map<String, String> x : exports) {
            String context = x.get("exporter_context");
            byte[] exported = sender.export(context == null || context.isEmpty() ? new byte[0] : HEX.parseHex(context),
                    Integer.parseInt(x.get("L")));
            assertArrayEquals(v(x, "exported_value"), exported);
        }
    }

    /** The key schedule by the RFC's own formulas, so shared_secret, key and base_nonce are checked one by one. */
    @Test
    void sharedSecretKeyAndBaseNonceMatch() {
        byte[] kemSuite = concat(ascii("KEM"), new byte[] {0x00, 0x20});
        byte[] hpkeSuite = concat(ascii("HPKE"), new byte[] {0x00, 0x20, 0x00, 0x01, 0x00, 0x01});

        X25519Agreement dh = new X25519Agreement();
        HPKE hpke = AdsDataCipher.hpke();
        dh.init(hpke.deriveKeyPair(v(setup, "ikmE")).getPrivate());
        byte[] z = new byte[32];
        dh.calculateAgreement(new X25519PublicKeyParameters(v(setup, "pkRm")), z, 0);
        byte[] eaePrk = labeledExtract(kemSuite, new byte[0], "eae_prk", z);
        byte[] sharedSecret = labeledExpand(kemSuite, eaePrk, "shared_secret", concat(v(setup, "enc"), v(setup, "pkRm")), 32);
        assertArrayEquals(v(setup, "shared_secret"), sharedSecret);

        byte[] pskIdHash = labeledExtract(hpkeSuite, new byte[0], "psk_id_hash", new byte[0]);
        byte[] infoHash = labeledExtract(hpkeSuite, new byte[0], "info_hash", v(setup, "info"));
        byte[] context = concat(new byte[] {0x00}, concat(pskIdHash, infoHash));
        assertArrayEquals(v(setup, "key_schedule_context"), context);
        byte[] secret = labeledExtract(hpkeSuite, sharedSecret, "secret", new byte[0]);
        assertArrayEquals(v(setup, "secret"), secret);
        assertArrayEquals(v(setup, "key"), labeledExpand(hpkeSuite, secret, "key", context, 16));
        assertArrayEquals(v(setup, "base_nonce"), labeledExpand(hpkeSuite, secret, "base_nonce", context, 12));
        assertArrayEquals(v(setup, "exporter_secret"), labeledExpand(hpkeSuite, secret, "exp", context, 32));
    }

    @Test
    void aChangedByteOrAadDoesNotOpen() throws Exception {
        Map<String, String> first = encryptions.get(0);
        byte[] ct = v(first, "ct");
        ct[5] ^= 1;
        AdsDataCipher.Receiver receiver = AdsDataCipher.receiver(v(setup, "skRm"), v(setup, "pkRm"), v(setup, "enc"),
                v(setup, "info"));
        assertThrows(org.bouncycastle.crypto.InvalidCipherTextException.class, () -> receiver.open(v(first, "aad"), ct));
        AdsDataCipher.Receiver again = AdsDataCipher.receiver(v(setup, "skRm"), v(setup, "pkRm"), v(setup, "enc"),
                v(setup, "info"));
        assertThrows(org.bouncycastle.crypto.InvalidCipherTextException.class,
                () -> again.open(ascii("Count-1"), v(first, "ct")));
    }

    private static byte[] labeledExtract(byte[] suite, byte[] salt, String label, byte[] ikm) {
        byte[] labeled = concat(concat(ascii("HPKE-v1"), suite), concat(ascii(label), ikm));
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        return hkdf.extractPRK(salt, labeled);
    }

    private static byte[] labeledExpand(byte[] suite, byte[] prk, String label, byte[] info, int length) {
        byte[] labeled = concat(new byte[] {(byte) (length >> 8), (byte) length},
                concat(concat(ascii("HPKE-v1"), suite), concat(ascii(label), info)));
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(HKDFParameters.skipExtractParameters(prk, labeled));
        byte[] out = new byte[length];
        hkdf.generateBytes(out, 0, length);
        return out;
    }

    private static byte[] clamped(byte[] scalar) {
        byte[] k = scalar.clone();
        k[0] &= (byte) 248;
        k[31] &= 127;
        k[31] |= 64;
        return k;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
