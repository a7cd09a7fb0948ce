package be.audiencematch.privacy;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;

import java.nio.charset.StandardCharsets;

/**
 * Laplace noise for a count, drawn from a keyed hash (HMAC-SHA256) of the question and its exact answer, against
 * differencing ("Gebruik van anonieme gegevens voor rapporteringsdiensten": repeated or overlapping queries must not
 * reveal a person). The same question with the same answer always gets the same noise, so asking again teaches
 * nothing; a different question (another audience, other segments) or a changed answer gets an independent draw,
 * so the difference of two near-identical lists is the person plus two noises. Without the key nobody can
 * reproduce a draw.
 */
final class ReportNoise {

    private static final byte[] LABEL = "audience-match/report-noise/v1".getBytes(StandardCharsets.US_ASCII);

    private final byte[] key;
    private final double scale;

    /** {@code secret}: key material the advertiser never sees; the noise key is derived from it, not it itself. */
    ReportNoise(byte[] secret, double scale) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("noise scale must be positive and finite");
        }
        this.key = mac(secret, LABEL);
        this.scale = scale;
    }

    /** A whole-number draw from Laplace(0, scale) for this question and exact count. */
    long draw(String question, long exact) {
        byte[] digest = mac(key, (question + '\n' + exact).getBytes(StandardCharsets.UTF_8));
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (digest[i] & 0xff);
        }
        // 53 bits to a uniform u in (0, 1), then the inverse of Laplace's distribution function.
        double u = ((bits >>> 11) + 0.5) / (1L << 53);
        double centred = u - 0.5;
        return Math.round(-scale * Math.signum(centred) * Math.log(1 - 2 * Math.abs(centred)));
    }

    private static byte[] mac(byte[] key, byte[] message) {
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(key));
        mac.update(message, 0, message.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return out;
    }
}
