package be.audiencematch.eligibility;

import be.audiencematch.campaign.CampaignRuleFormat;
import be.audiencematch.campaign.EligibilityRule;
import be.audiencematch.changes.ChangeEntryFormat;
import be.audiencematch.consent.Purpose;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This replica's own copy of what eligibility reads: the three consent bitmaps, the campaign rules, the audience
 * and segment bitmaps those rules name, and the member lists of the households asked about (filled on demand).
 * {@link ViewFollower} keeps it in step with the change streams (one, or the global one and one a shard); changes
 * are applied one batch at a time (the batch holds this object's lock), and it is read by any event loop. Each part
 * is at least as new as the last change number the follower confirmed on each stream, which is what lets a confirmed
 * withdrawal show in the very next answer (see docs/architecture.md, "Eligibility view"). Subscribers are named by
 * global number (docs/scaling.md, "Numbers"): the follower turns a shard's local numbers into global ones. Audience
 * and segment bitmaps are kept by name, one part a shard, each by local number; what makes a household eligible is
 * {@link EligibilityRule}'s, the code the Redis fallback runs too.
 */
final class EligibilityView implements EligibilityRule.Bitmaps {

    /** A household's member list as kept, with its id: two ids sharing a tag then never answer for each other. */
    private record Kept(String id, int[] members) {
    }

    private static final byte[] NONE = new byte[0];
    private static final int[] NOBODY = new int[0];

    /** Shard 0's key prefix: what a version 1 rule's keys start with (CampaignRuleFormat). */
    private final String shardZeroPrefix;
    private final int maxHouseholds;
    /** tv, web, ads_and_data, in Purpose order; replaced whole when one grows, else changed a byte at a time. */
    private final byte[][] consents = {NONE, NONE, NONE};
    /** The consents as the rules read them (each reads the current array). */
    private final EligibilityRule.Bits[] consentBits = {
        n -> isSet(consents[0], n), n -> isSet(consents[1], n), n -> isSet(consents[2], n)};
    private final Map<String, EligibilityRule> rules = new ConcurrentHashMap<>();
    /** Audience and segment bitmaps by name, one part a shard; consents stay raw above. */
    private final ViewBitmaps bitmaps;
    /** Member lists by household tag (HouseholdTags), the name the change stream gives a household. */
    private final Map<Long, Kept> households = new ConcurrentHashMap<>();
    /** Made from the view key of the last snapshot; null until the first. */
    private volatile HouseholdTags tags;
    /**
     * By stream, the change number of the newest household change applied (guarded by this): older fills are not
     * kept. A household's list changes on one stream only, its shard's.
     */
    private final long[] householdsChangedAt;
    /** By stream, the change number applied (guarded by this). */
    private final long[] appliedBy;
    /** Written after every change the follower applies; read first by every answer (publishes the bytes above). */
    private volatile long published;

    /**
     * @param streams the change streams followed: one in a base of one shard, else the global one and one a shard
     */
    EligibilityView(String shardZeroPrefix, int maxHouseholds, int streams) {
        this.shardZeroPrefix = shardZeroPrefix;
        this.maxHouseholds = maxHouseholds;
        this.bitmaps = new ViewBitmaps(streams == 1 ? 1 : streams - 1);
        this.householdsChangedAt = new long[streams];
        this.appliedBy = new long[streams];
    }

    // ---- the follower's side --------------------------------------------------------------------------------

    /**
     * Starts over from a snapshot of every stream, stream i current to change {@code seqs[i]}; consents by global
     * number; each named bitmap's parts, shard 0's first.
     */
    synchronized void reset(long[] seqs, byte[] tv, byte[] web, byte[] ads, Map<String, EligibilityRule> newRules,
                            Map<String, ViewBitmaps.Part[]> newBitmaps, byte[] viewKey) {
        tags = new HouseholdTags(viewKey);
        households.clear();
        System.arraycopy(seqs, 0, householdsChangedAt, 0, seqs.length);
        System.arraycopy(seqs, 0, appliedBy, 0, seqs.length);
        consents[0] = tv;
        consents[1] = web;
        consents[2] = ads;
        bitmaps.reset(newBitmaps);
        rules.clear();
        rules.putAll(newRules);
        published++;
    }

    /** The change number applied of stream {@code stream}. */
    synchronized long applied(int stream) {
        return appliedBy[stream];
    }

    synchronized void appliedUpTo(int stream, long seq) {
        appliedBy[stream] = seq;
        published++;
    }

    /** One subscriber's consents ({@code mask}: bit 0 tv, 1 web, 2 ads_and_data; changes/ChangeEntryFormat). */
    void applyConsent(int number, int mask) {
        for (int p = 0; p < 3; p++) {
            setBit(p, number, (mask >> p & 1) == 1);
        }
    }

    /**
     * New subscribers' consents from a bulk load, numbered {@code first} on in their shard: global number
     * l × {@code shards} + {@code shard} (docs/scaling.md, "Numbers").
     */
    void applyConsentRange(ChangeEntryFormat.ConsentRange range, int shard, int shards) {
        long first = range.first() & 0xffffffffL;
        int count = range.count();
        for (int p = 0; p < 3; p++) {
            grow(p, (int) ((first + count - 1) * shards + shard));
            for (int k = 0; k < count; k++) {
                setBit(p, (int) ((first + k) * shards + shard), range.consents(p, k));
            }
        }
    }

    private void setBit(int purpose, int number, boolean on) {
        grow(purpose, number);
        byte[] bits = consents[purpose];
        int at = number >>> 3;
        int mask = 0x80 >>> (number & 7);
        bits[at] = (byte) (on ? bits[at] | mask : bits[at] & ~mask);
    }

    private void grow(int purpose, int number) {
        byte[] bits = consents[purpose];
        int needed = (number >>> 3) + 1;
        if (needed > bits.length) {
            // Copied, not changed in place: readers keep the old array until this one is complete.
            consents[purpose] = Arrays.copyOf(bits, Math.max(needed, bits.length + (bits.length >> 2)));
        }
    }

    /** The audience and segment bitmaps, by name (the follower reads and puts them; the hot path asks them). */
    ViewBitmaps bitmaps() {
        return bitmaps;
    }

    /** Whether subscriber {@code n} (global number) consented to purpose {@code purpose} (Purpose order; for tests). */
    boolean consentHas(int purpose, int n) {
        return isSet(consents[purpose], n);
    }

    /** An erased subscriber (global number): out of every audience and segment bitmap copied (ViewBitmaps). */
    void clearErased(int number) {
        bitmaps.clearErased(number);
    }

    /** The heap the audience and segment bitmaps take, for the gauge operators alert on (ViewBitmaps.bytes). */
    long bitmapBytes() {
        return bitmaps.bytes();
    }

    /** Whether this view's copy of a bitmap has subscriber {@code n}'s bit (global number; for tests). */
    boolean bitmapHas(String name, int n) {
        return bitmaps.named(name).has(n);
    }

    /** A bitmap of a view of one shard, empty when it holds none (for tests). */
    ViewBitmap bitmap(String name) {
        return bitmaps.part(name, 0);
    }

    /** Shard {@code shard}'s part of a bitmap, by local number, empty when it holds none (for tests). */
    ViewBitmap bitmap(String name, int shard) {
        return bitmaps.part(name, shard);
    }

    /**
     * Forgets these households' member lists (by tag), as of change {@code seq}. Tags made with another key than this
     * view's (the key was replaced in Redis) cannot be matched: the follower must start over from a snapshot, which
     * reads the key again.
     */
    synchronized void dropHouseholds(int stream, long seq, byte[] keyId, long[] dropped) {
        if (!tags.sameKey(keyId)) {
            throw new IllegalStateException("the view key changed: household tags no longer match");
        }
        for (long tag : dropped) {
            households.remove(tag);
        }
        householdsChangedAt[stream] = seq;
    }

    synchronized void dropAllHouseholds(int stream, long seq) {
        households.clear();
        householdsChangedAt[stream] = seq;
    }

    /**
     * Keeps a member list read at change {@code seq} of stream {@code stream} (its shard's), unless a newer change to
     * households was applied on that stream since.
     */
    synchronized void offerHousehold(String id, int[] members, int stream, long seq) {
        if (seq >= householdsChangedAt[stream] && tags != null) {
            if (households.size() >= maxHouseholds) {
                households.clear();
            }
            households.put(tags.of(id), new Kept(id, members.length == 0 ? NOBODY : members));
        }
    }

    int[] household(String id) {
        HouseholdTags current = tags;
        if (current == null) {
            return null;
        }
        Kept kept = households.get(current.of(id));
        return kept != null && kept.id().equals(id) ? kept.members() : null;
    }

    int householdsKept() {
        return households.size();
    }

    void putRule(String id, EligibilityRule rule) {
        rules.put(id, rule);
    }

    void removeRule(String id) {
        rules.remove(id);
    }

    /** Drops the bitmaps no rule names any more. */
    synchronized void pruneBitmaps() {
        Set<String> named = new HashSet<>();
        rules.values().forEach(r -> named.addAll(r.bitmapNames()));
        bitmaps.retainOnly(named);
    }

    /** A stored rule by bitmap name; null when it cannot be read as one (then the campaign is not eligible). */
    EligibilityRule parseRule(byte[] packed) {
        return EligibilityRule.of(CampaignRuleFormat.decode(packed), shardZeroPrefix);
    }

    // ---- the hot path ---------------------------------------------------------------------------------------

    @Override
    public EligibilityRule.Bits consent(Purpose purpose) {
        return consentBits[purpose.ordinal()];
    }

    @Override
    public EligibilityRule.Bits named(String name) {
        return bitmaps.named(name);
    }

    /** The candidates (every campaign when empty) the household's members make eligible at {@code nowMs}. */
    List<String> eligible(int[] members, List<String> candidates, long nowMs) {
        // The volatile read comes first: every change the follower applied before its last write is visible below.
        if (published < 0 || members.length == 0) {
            return List.of();
        }
        List<String> eligible = new ArrayList<>(2);
        if (candidates.isEmpty()) {
            rules.forEach((id, rule) -> {
                if (rule.eligible(members, this, nowMs)) {
                    eligible.add(id);
                }
            });
            return eligible;
        }
        for (String id : candidates) {
            EligibilityRule rule = rules.get(id);
            if (rule != null && rule.eligible(members, this, nowMs)) {
                eligible.add(id);
            }
        }
        return eligible;
    }

    static boolean isSet(byte[] bits, int n) {
        int at = n >>> 3;
        return at < bits.length && (bits[at] & (0x80 >>> (n & 7))) != 0;
    }
}
