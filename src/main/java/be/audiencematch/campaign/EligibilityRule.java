package be.audiencematch.campaign;

import be.audiencematch.audience.AudienceStore;
import be.audiencematch.consent.Purpose;
import be.audiencematch.segment.SegmentStore;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A campaign's rule as eligibility evaluates it, and the one place that says what makes a household eligible: the
 * replicas' views (eligibility/EligibilityView) and the Redis fallback ({@link CampaignStore#eligible}) both ask
 * {@link #eligible}, each with the bits it holds (docs/architecture.md, "Flows", eligibility). Bitmaps are named by
 * their name in a shard ({@code audience:<id>:members}, {@code segment:<id>}): each shard has its part, indexed by
 * local number, and subscribers are named by global number (docs/scaling.md, "Numbers").
 *
 * @param audience the audience's members bitmap, by name
 * @param segments the segments' bitmaps, by name: a member must be in every one
 * @param excluded the excluded audiences' members bitmaps, by name: a member in any one is left out
 */
public record EligibilityRule(long startsMs, long endsMs, Purpose purpose, String audience, List<String> segments,
                              List<String> excluded) {

    /** Subscribers by global number. */
    @FunctionalInterface
    public interface Bits {
        boolean has(int number);
    }

    /** Nobody: what a missing bitmap holds. */
    public static final Bits NOBODY = number -> false;

    /** Where a rule's bits are read. */
    public interface Bitmaps {
        /** The consent bitmap of {@code purpose}. */
        Bits consent(Purpose purpose);

        /** The audience or segment bitmap named {@code name}; {@link #NOBODY} when there is none. */
        Bits named(String name);
    }

    /**
     * The stored rule by bitmap name; null when it cannot be read as one (a version 1 key outside shard 0's keys,
     * which no base that holds version 1 rules has: the campaign is then not eligible, failing closed).
     *
     * @param shardZeroPrefix shard 0's key prefix: a version 1 rule's keys are shard 0's (CampaignRuleFormat)
     */
    public static EligibilityRule of(CampaignRuleFormat.Rule stored, String shardZeroPrefix) {
        Purpose purpose = switch (stored.purpose()) {
            case 't' -> Purpose.TV;
            case 'w' -> Purpose.WEB;
            default -> Purpose.ADS_AND_DATA;
        };
        List<String> segments = new ArrayList<>(stored.segmentIds().size());
        stored.segmentIds().forEach(id -> segments.add(SegmentStore.bitmapName(id)));
        List<String> excluded = new ArrayList<>(stored.excluded().size());
        String audience;
        if (stored.version() >= 2) {
            audience = AudienceStore.membersName(stored.audience());
            stored.excluded().forEach(id -> excluded.add(AudienceStore.membersName(id)));
        } else {
            audience = nameIn(stored.audience(), shardZeroPrefix);
            for (String key : stored.excluded()) {
                String name = nameIn(key, shardZeroPrefix);
                if (name == null) {
                    return null;
                }
                excluded.add(name);
            }
            if (audience == null) {
                return null;
            }
        }
        return new EligibilityRule(stored.startsMs(), stored.endsMs(), purpose, audience, List.copyOf(segments),
                List.copyOf(excluded));
    }

    private static String nameIn(String key, String prefix) {
        return key.startsWith(prefix) ? key.substring(prefix.length()) : null;
    }

    public boolean activeAt(long nowMs) {
        return nowMs >= startsMs && nowMs < endsMs;
    }

    /** Every bitmap the rule reads besides the consents, by name. */
    public Set<String> bitmapNames() {
        Set<String> names = new LinkedHashSet<>();
        names.add(audience);
        names.addAll(segments);
        names.addAll(excluded);
        return names;
    }

    /**
     * Whether a household of these members (global numbers) is eligible at {@code nowMs}: the rule is active and at
     * least one member consents to TV and to the campaign's purpose, is in its audience and in every one of its
     * segments, and in none of the audiences it excludes (a missing bitmap holds nobody, so it excludes nobody).
     */
    public boolean eligible(int[] members, Bitmaps bits, long nowMs) {
        if (!activeAt(nowMs)) {
            return false;
        }
        Bits tv = bits.consent(Purpose.TV);
        Bits consent = bits.consent(purpose);
        Bits inAudience = bits.named(audience);
        for (int m : members) {
            if (tv.has(m) && consent.has(m) && inAudience.has(m) && inSegments(bits, m) && !excluded(bits, m)) {
                return true;
            }
        }
        return false;
    }

    private boolean inSegments(Bitmaps bits, int member) {
        for (String name : segments) {
            if (!bits.named(name).has(member)) {
                return false;
            }
        }
        return true;
    }

    private boolean excluded(Bitmaps bits, int member) {
        for (String name : excluded) {
            if (bits.named(name).has(member)) {
                return true;
            }
        }
        return false;
    }

    /** A household bucket's member list (packed big-endian u32 global numbers, as the subscriber scripts write it). */
    public static int[] members(byte[] packed) {
        int[] members = new int[packed.length / 4];
        ByteBuffer in = ByteBuffer.wrap(packed);
        for (int i = 0; i < members.length; i++) {
            members[i] = in.getInt();
        }
        return members;
    }
}
