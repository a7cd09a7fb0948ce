package be.audiencematch.crypto;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContext;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;

/**
 * HPKE (RFC 9180) base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM, from Bouncy Castle:
 * every export is encrypted to Ads & Data's public key, so only the partner can read it.
 */
public final class AdsDataCipher {

    public static final String SUITE = "DHKEM(X25519, HKDF-SHA256)/HKDF-SHA256/AES-128-GCM";

    private AdsDataCipher() {
    }

    public static HPKE hpke() {
        return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM128);
    }

    /** A sender context to the recipient's public key (32 raw bytes). */
    public static Sender sender(byte[] recipientPublicKey, byte[] info) {
        HPKE hpke = hpke();
        AsymmetricKeyParameter pk = hpke.deserializePublicKey(recipientPublicKey);
        return new Sender(hpke.setupBaseS(pk, info));
    }

    /** A receiver context from the recipient's key pair and the sender's encapsulated key. */
    public static Receiver receiver(byte[] recipientPrivateKey, byte[] recipientPublicKey, byte[] enc, byte[] info) {
        HPKE hpke = hpke();
        AsymmetricCipherKeyPair pair = hpke.deserializePrivateKey(recipientPrivateKey, recipientPublicKey);
        return new Receiver(hpke.setupBaseR(enc, pair, info));
    }

    /** Seals messages in order; each seal uses the next nonce of the context. */
    public static final class Sender {
        private final HPKEContextWithEncapsulation context;

        Sender(HPKEContextWithEncapsulation context) {
            this.context = context;
        }

        public byte[] enc() {
            return context.getEncapsulation();
        }

        public byte[] seal(byte[] aad, byte[] plaintext) {
            try {
                return context.seal(aad, plaintext);
            } catch (InvalidCipherTextException e) {
                throw new IllegalStateException("sealing cannot fail", e);
            }
        }
    }

    /** Opens messages in the order they were sealed; a changed byte, AAD or order fails. */
    public static final class Receiver {
        private final HPKEContext context;

        Receiver(HPKEContext context) {
            this.context = context;
        }

        public byte[] open(byte[] aad, byte[] ciphertext) throws InvalidCipherTextException {
            return context.open(aad, ciphertext);
        }

        /** The underlying context (tests check it against the RFC 9180 vectors). */
        public HPKEContext context() {
            return context;
        }
    }

    /** A new X25519 key pair for Ads & Data: {private, public}, 32 raw bytes each. */
    public static byte[][] generateKeyPair() {
        HPKE hpke = hpke();
        AsymmetricCipherKeyPair pair = hpke.generatePrivateKey();
        return new byte[][] {hpke.serializePrivateKey(pair.getPrivate()), hpke.serializePublicKey(pair.getPublic())};
    }

    /** The public half of a private key (so the partner's key file needs only the private key to decrypt). */
    public static byte[] publicKeyOf(byte[] privateKey) {
        org.bouncycastle.crypto.params.X25519PrivateKeyParameters sk =
                new org.bouncycastle.crypto.params.X25519PrivateKeyParameters(privateKey, 0);
        return sk.generatePublicKey().getEncoded();
    }
}
