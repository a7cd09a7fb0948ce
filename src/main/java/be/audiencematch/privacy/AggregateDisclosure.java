package be.audiencematch.privacy;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The only code that turns an exact count into what an advertiser may see ("Gebruik van anonieme gegevens voor
 * rapporteringsdiensten": reports must not identify anyone; small groups get extra measures). Counts under the
 * threshold are suppressed; the rest are rounded down, so one added or removed person rarely changes the answer.
 */
@ApplicationScoped
public class AggregateDisclosure {

    /** What may be shown: {@code count} is null when suppressed. */
    public record Disclosed(Long count, boolean belowThreshold, long threshold, long roundedTo) {
    }

    private final long threshold;
    private final long roundedTo;

    public AggregateDisclosure(@ConfigProperty(name = "audience-match.privacy.threshold", defaultValue = "100") long threshold,
                               @ConfigProperty(name = "audience-match.privacy.rounded-to", defaultValue = "10") long roundedTo) {
        if (threshold < 1 || roundedTo < 1) {
            throw new IllegalArgumentException("threshold and rounding must be at least 1");
        }
        this.threshold = threshold;
        this.roundedTo = roundedTo;
    }

    public Disclosed disclose(long exact) {
        if (exact < threshold) {
            return new Disclosed(null, true, threshold, roundedTo);
        }
        return new Disclosed(exact / roundedTo * roundedTo, false, threshold, roundedTo);
    }
}
