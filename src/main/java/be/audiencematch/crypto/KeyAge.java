package be.audiencematch.crypto;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * How old the current pseudonym key may be. The privacy policy lets Ads & Data link pseudonyms for at most 13
 * months, so a key must be rotated before then (docs/ads-and-data.md, "Key age"): the service warns from
 * {@code warnAfter} (12 months by default) and, in production, refuses to start past {@code refuseAfter}
 * (13 months). The decision takes the clock's reading as a parameter, so it is tested without waiting.
 */
public record KeyAge(Duration warnAfter, Duration refuseAfter) {

    public static final Duration DEFAULT_WARN = Duration.ofDays(365);
    public static final Duration DEFAULT_REFUSE = Duration.ofDays(396);

    public enum Verdict { FRESH, UNKNOWN, WARN, REFUSE }

    /** The verdict and a message for the operator (naming the version, never a key). */
    public record Decision(Verdict verdict, String message) {
    }

    public KeyAge {
        if (warnAfter.isNegative() || refuseAfter.compareTo(warnAfter) < 0) {
            throw new IllegalArgumentException("the pseudonym key's warning age must be positive and at most its "
                    + "maximum age");
        }
    }

    public Decision judge(PseudonymKeyRing ring, Instant now) {
        Optional<Instant> created = ring.currentCreatedAt();
        if (created.isEmpty()) {
            return new Decision(Verdict.UNKNOWN, "pseudonym key version " + ring.current() + " has no creation date"
                    + " (a ring written before versions carried one), so its age is unknown: rotate it with"
                    + " 'audience-match keys rotate-pseudonym' to start counting");
        }
        Duration age = Duration.between(created.get(), now);
        long days = age.toDays();
        if (age.compareTo(refuseAfter) > 0) {
            return new Decision(Verdict.REFUSE, "pseudonym key version " + ring.current() + " is " + days
                    + " days old, over the " + refuseAfter.toDays() + " days the policy allows Ads & Data: run"
                    + " 'audience-match keys rotate-pseudonym' on the ring that AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE"
                    + " names, then start again");
        }
        if (age.compareTo(warnAfter) >= 0) {
            return new Decision(Verdict.WARN, "pseudonym key version " + ring.current() + " is " + days
                    + " days old; rotate it ('audience-match keys rotate-pseudonym', AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE)"
                    + " before it reaches " + refuseAfter.toDays() + " days, when the service refuses to start in"
                    + " production");
        }
        return new Decision(Verdict.FRESH, "pseudonym key version " + ring.current() + " is " + days + " days old");
    }
}
