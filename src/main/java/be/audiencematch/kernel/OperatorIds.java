package be.audiencematch.kernel;

import java.util.regex.Pattern;

/**
 * The rules for ids the operator chooses (subscriber, household and segment ids; the ids this service mints are
 * {@link RandomIds}'): each ends up in a Redis key or hash field, so it is held to a conservative alphabet and a
 * bounded length. They live in the kernel so that security/PathIds checks path ids by the very rules the subscriber
 * feed and the segments apply, without depending on those packages (docs/architecture.md, "Packages" and "Tokens").
 */
public final class OperatorIds {

    /** A segment id: 1-64 characters of A-Z a-z 0-9 . _ - */
    public static final Pattern SEGMENT_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private OperatorIds() {
    }

    /**
     * A subscriber or household id: 1-128 characters of A-Z a-z 0-9 . _ : - (checked without a regex: the bulk load
     * and the eligibility hot path check one per line and per question).
     */
    public static boolean isSubscriberOrHouseholdId(String id) {
        return id != null && id.length() <= 128 && allOf(id, "._:-");
    }

    /** Non-empty, and every character an ASCII letter, a digit or one of {@code extra}. */
    public static boolean allOf(String s, String extra) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!plain && extra.indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }
}
