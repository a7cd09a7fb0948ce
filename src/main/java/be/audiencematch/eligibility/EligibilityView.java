package be.audiencematch.eligibility;

import be.audiencematch.campaign.CampaignRuleFormat;
import be.audiencematch.changes.ChangeEntryFormat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * global number (docs/scaling.md, "Numbers"): the follower turns a shard's local numbers into global ones.
 */
final class EligibilityView {

    /** A campaign as the hot path reads it (the packed form: campaign/CampaignRuleFormat). */
    record Rule(long startsMs, long endsMs, int purpose, String audienceKey, List<String> segmentKeys,
                List<String> excludedKeys) {

        boolean activeAt(long nowMs) {
            return nowMs >= startsMs && nowMs < endsMs;
        }

        Set<String> bitmapKeys() {
            Set<String> keys = new HashSet<>(segmentKeys);
            keys.addAll(excludedKeys);
            keys.add(audienceKey);
            return keys;
        }
    }

    /** A household's member list as kept, with its id: two ids sharing a tag then never answer for each other. */
    private record Kept(String id, int[] members) {
    }

    private static final byte[] NONE = new byte[0];
    private static final int[] NOBODY = new int[0];

    private final String segmentPrefix;
    private final int maxHouseholds;
    /** tv, web, ads_and_data, in Purpose order; replaced whole when one grows, else changed a byte at a time. */
    private final byte[][] consents = {NONE, NONE, NONE};
    private final Map<String, Rule> rules = new ConcurrentHashMap<>();
    /** Audience and segment bitmaps by Redis key, each raw or compressed (ViewBitmap); consents stay raw above. */
    private final Map<String, ViewBitmap> bitmaps = new ConcurrentHashMap<>();
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

    EligibilityView(String segmentPrefix, int maxHouseholds, int streams) {
        this.segmentPrefix = segmentPrefix;
        this.maxHouseholds = maxHouseholds;
        this.householdsChangedAt = new long[streams];
        this.appliedBy = new long[streams];
    }

    // ---- the follower's side --------------------------------------------------------------------------------

    /**
     * Starts over from a snapshot of every stream, stream i current to change {@code seqs[i]}; consents by global
     * number.
     */
    synchronized void reset(long[] seqs, byte[] tv, byte[] web, byte[] ads, Map<String, Rule> newRules,
                            Map<String, ViewBitmap> newBitmaps, byte[] viewKey) {
        tags = new HouseholdTags(viewKey);
        households.clear();
        System.arraycopy(seqs, 0, householdsChangedAt, 0, seqs.length);
        System.arraycopy(seqs, 0, appliedBy, 0, seqs.length);
        consents[0] = tv;
        consents[1] = web;
        consents[2] = ads;
        bitmaps.clear();
        bitmaps.putAll(newBitmaps);
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

    /**
     * An erased subscriber: clears its bit in every audience and segment bitmap this view copied. Its consent bits
     * went with the erasure itself; without this, the bit would linger in the copies until the bitmap is read again,
     * which may be never. Raw bitmaps change in place; a compressed one that holds the number is replaced by a copy
     * without it (readers may be inside the old one), and only if the key still names that bitmap.
     */
    void clearErased(int number) {
        for (Map.Entry<String, ViewBitmap> entry : bitmaps.entrySet()) {
            ViewBitmap before = entry.getValue();
            ViewBitmap after = before.without(number);
            if (after != before) {
                bitmaps.replace(entry.getKey(), before, after);
            }
        }
    }

    /** Whether subscriber {@code n} (global number) consented to purpose {@code purpose} (Purpose order; for tests). */
    boolean consentHas(int purpose, int n) {
        return isSet(consents[purpose], n);
    }

    /** Whether this view's copy of a bitmap has subscriber {@code n}'s bit (for tests). */
    boolean bitmapHas(String key, int n) {
        return bitmap(key).has(n);
    }

    /** This view's copy of a bitmap, empty when it holds none (for tests). */
    ViewBitmap bitmap(String key) {
        return bitmaps.getOrDefault(key, ViewBitmap.EMPTY);
    }

    /**
     * The heap the audience and segment bitmaps take (ViewBitmap.sizeInBytes), for the gauge
     * operators alert on before the heap fills (docs/operations.md, "Scale"). Summed on each scrape: a few thousand
     * entries at most.
     */
    long bitmapBytes() {
        long total = 0;
        for (ViewBitmap bits : bitmaps.values()) {
            total += bits.sizeInBytes();
        }
        return total;
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

    boolean hasBitmap(String key) {
        return bitmaps.containsKey(key);
    }

    /** Keeps a bitmap read from Redis, compressed when that is much smaller (ViewBitmap.of). */
    void putBitmap(String key, byte[] bits) {
        putBitmap(key, ViewBitmap.of(bits));
    }

    void putBitmap(String key, ViewBitmap bits) {
        bitmaps.put(key, bits);
    }

    void putRule(String id, Rule rule) {
        rules.put(id, rule);
    }

    void removeRule(String id) {
        rules.remove(id);
    }

    /** Drops the bitmaps no rule names any more. */
    void pruneBitmaps() {
        Set<String> named = new HashSet<>();
        rules.values().forEach(r -> named.addAll(r.bitmapKeys()));
        bitmaps.keySet().retainAll(named);
    }

    Rule parseRule(byte[] packed) {
        CampaignRuleFormat.Rule stored = CampaignRuleFormat.decode(packed);
        int purpose = switch (stored.purpose()) {
            case 't' -> 0;
            case 'w' -> 1;
            default -> 2;
        };
        List<String> segments = new ArrayList<>(stored.segmentIds().size());
        for (String s : stored.segmentIds()) {
            segments.add(segmentPrefix + s);
        }
        return new Rule(stored.startsMs(), stored.endsMs(), purpose, stored.audienceKey(), List.copyOf(segments),
                stored.excludedKeys());
    }

    // ---- the hot path ---------------------------------------------------------------------------------------

    /** The candidates (every campaign when empty) the household's members make eligible at {@code nowMs}. */
    List<String> eligible(int[] members, List<String> candidates, long nowMs) {
        // The volatile read comes first: every change the follower applied before its last write is visible below.
        if (published < 0 || members.length == 0) {
            return List.of();
        }
        byte[] tv = consents[0];
        List<String> eligible = new ArrayList<>(2);
        if (candidates.isEmpty()) {
            rules.forEach((id, rule) -> {
                if (eligible(rule, members, tv, nowMs)) {
                    eligible.add(id);
                }
            });
            return eligible;
        }
        for (String id : candidates) {
            Rule rule = rules.get(id);
            if (rule != null && eligible(rule, members, tv, nowMs)) {
                eligible.add(id);
            }
        }
        return eligible;
    }

    private boolean eligible(Rule rule, int[] members, byte[] tv, long nowMs) {
        if (!rule.activeAt(nowMs)) {
            return false;
        }
        byte[] purpose = consents[rule.purpose()];
        ViewBitmap audience = bitmaps.getOrDefault(rule.audienceKey(), ViewBitmap.EMPTY);
        for (int m : members) {
            if (isSet(tv, m) && isSet(purpose, m) && audience.has(m) && inSegments(rule, m)
                    && !excluded(rule, m)) {
                return true;
            }
        }
        return false;
    }

    /** In an audience the campaign excludes (a missing bitmap excludes nobody, as in the script). */
    private boolean excluded(Rule rule, int member) {
        for (String key : rule.excludedKeys()) {
            if (bitmaps.getOrDefault(key, ViewBitmap.EMPTY).has(member)) {
                return true;
            }
        }
        return false;
    }

    private boolean inSegments(Rule rule, int member) {
        for (String key : rule.segmentKeys()) {
            if (!bitmaps.getOrDefault(key, ViewBitmap.EMPTY).has(member)) {
                return false;
            }
        }
        return true;
    }

    static boolean isSet(byte[] bits, int n) {
        int at = n >>> 3;
        return at < bits.length && (bits[at] & (0x80 >>> (n & 7))) != 0;
    }

    static int[] members(byte[] packed) {
        int[] members = new int[packed.length / 4];
        ByteBuffer in = ByteBuffer.wrap(packed);
        for (int i = 0; i < members.length; i++) {
            members[i] = in.getInt();
        }
        return members;
    }
}
