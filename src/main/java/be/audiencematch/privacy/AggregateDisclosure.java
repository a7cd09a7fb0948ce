package be.audiencematch.privacy;

import be.audiencematch.crypto.ExportKeys;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.function.Supplier;

/**
 * The only code that turns an exact count into what an advertiser may see ("Gebruik van anonieme gegevens voor
 * rapporteringsdiensten": reports must not identify anyone; small groups get extra measures). Counts under the
 * threshold are suppressed; the rest are rounded down, so one added or removed person rarely changes the answer.
 * With {@code audience-match.privacy.noise} above 0, Laplace noise of that scale ({@link ReportNoise}) is added
 * first, and the threshold and rounding apply to the noisy count: two near-identical lists then no longer tell
 * whether the one person between them matched. Off by default: the report's contract is the rounded exact count.
 */
@ApplicationScoped
public class AggregateDisclosure {

    /** What may be shown: {@code count} is null when suppressed; {@code noiseScale} is null without noise. */
    public record Disclosed(Long count, boolean belowThreshold, long threshold, long roundedTo, Double noiseScale) {
    }

    private final long threshold;
    private final long roundedTo;
    private final double noiseScale;
    private final Supplier<byte[]> secret;
    private volatile Keyed noise;

    /** The noise and the key material it was made from, swapped together. */
    private record Keyed(byte[] secret, ReportNoise noise) {
    }

    @Inject
    public AggregateDisclosure(@ConfigProperty(name = "audience-match.privacy.threshold", defaultValue = "100") long threshold,
                               @ConfigProperty(name = "audience-match.privacy.rounded-to", defaultValue = "10") long roundedTo,
                               @ConfigProperty(name = "audience-match.privacy.noise", defaultValue = "0") double noiseScale,
                               ExportKeys keys) {
        // The noise key is derived from the current pseudonym key: secret, shared by every replica, already managed.
        this(threshold, roundedTo, noiseScale, () -> keys.ring().currentKey());
    }

    AggregateDisclosure(long threshold, long roundedTo, double noiseScale, Supplier<byte[]> secret) {
        if (threshold < 1 || roundedTo < 1) {
            throw new IllegalArgumentException("threshold and rounding must be at least 1");
        }
        if (noiseScale < 0 || Double.isNaN(noiseScale) || Double.isInfinite(noiseScale)) {
            throw new IllegalArgumentException("audience-match.privacy.noise must be 0 (off) or a positive scale");
        }
        this.threshold = threshold;
        this.roundedTo = roundedTo;
        this.noiseScale = noiseScale;
        this.secret = secret;
    }

    /**
     * {@code question} names what was asked, stably (for example the audience and its sorted segments): the noise
     * depends on it and on the exact count only. Never shown, never logged.
     */
    public Disclosed disclose(long exact, String question) {
        long count = exact;
        if (noiseScale > 0) {
            count = Math.max(0, exact + noise().draw(question, exact));
        }
        Double scale = noiseScale > 0 ? noiseScale : null;
        if (count < threshold) {
            return new Disclosed(null, true, threshold, roundedTo, scale);
        }
        return new Disclosed(count / roundedTo * roundedTo, false, threshold, roundedTo, scale);
    }

    private ReportNoise noise() {
        byte[] current = secret.get();
        Keyed keyed = noise;
        if (keyed == null || keyed.secret() != current) {
            // A new pseudonym key version (after a rotation and restart) gives new draws.
            keyed = new Keyed(current, new ReportNoise(current, noiseScale));
            noise = keyed;
        }
        return keyed.noise();
    }
}
