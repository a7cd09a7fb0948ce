package be.audiencematch.crypto;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

import java.util.Base64;

/**
 * Ads & Data pseudonyms: HMAC-SHA256 under a secret key version, over the subscriber's stable internal number
 * (4 bytes, big-endian), base64url without padding. Never over an advertiser-facing digest, so a pseudonym cannot be
 * joined with anything an advertiser holds. One instance per thread: HMac keeps state.
 */
public final class Pseudonymizer {

    public static final int PSEUDONYM_CHARS = 43;

    private final HMac hmac = new HMac(new SHA256Digest());
    private final byte[] input = new byte[4];
    private final byte[] mac = new byte[32];
    private final Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
    private final byte[] encoded = new byte[PSEUDONYM_CHARS];

    public Pseudonymizer(byte[] key) {
        hmac.init(new KeyParameter(key));
    }

    /** The raw 32-byte HMAC of a subscriber number. */
    public byte[] mac(int subscriberNumber) {
        input[0] = (byte) (subscriberNumber >>> 24);
        input[1] = (byte) (subscriberNumber >>> 16);
        input[2] = (byte) (subscriberNumber >>> 8);
        input[3] = (byte) subscriberNumber;
        hmac.update(input, 0, 4);
        hmac.doFinal(mac, 0);
        return mac;
    }

    public String pseudonym(int subscriberNumber) {
        return base64.encodeToString(mac(subscriberNumber));
    }

    /** Writes the pseudonym as 43 ASCII characters at {@code out[offset]}. */
    public void writePseudonym(int subscriberNumber, byte[] out, int offset) {
        base64.encode(mac(subscriberNumber), encoded);
        System.arraycopy(encoded, 0, out, offset, PSEUDONYM_CHARS);
    }

    /** Plain HMAC-SHA256, for the RFC 4231 checks and the benchmark's raw rate. */
    public static byte[] hmacSha256(byte[] key, byte[] data) {
        HMac h = new HMac(new SHA256Digest());
        h.init(new KeyParameter(key));
        h.update(data, 0, data.length);
        byte[] out = new byte[32];
        h.doFinal(out, 0);
        return out;
    }
}
