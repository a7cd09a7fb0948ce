package be.audiencematch.consent;

import be.audiencematch.redis.PackedArgs;

import java.util.ArrayList;
import java.util.List;

/**
 * A bulk chunk's household step (bulk_households.lua's calls): its new subscribers grouped by household, in
 * household-bucket order, each household's new members appended to its list. One shard's calls in a base of one; a
 * call a household shard in a base of several (ShardedLinks), where the numbers are global.
 */
final class BulkHouseholds {

    private final SubscriberStore store;
    private final BulkLines lines;

    BulkHouseholds(SubscriberStore store, BulkLines lines) {
        this.store = store;
        this.lines = lines;
    }

    /**
     * One bulk_households.lua call for the groups at {@code positions} (in bucket order): the {@code leading} keys
     * (a loading bitmap, the change stream's sequence, stream and household tag key, all of the call's shard), the
     * chunk's loading ranges (none where the call's shard is not the records'), then a run per household bucket.
     */
    PackedArgs call(Groups groups, int[] number, int[] positions, List<byte[]> leading, List<long[]> ranges) {
        int length = positions.length;
        List<byte[]> keys = new ArrayList<>(leading);
        for (int start = 0; start < length; start = BulkLines.runEnd(positions, start, groups.bucketOf())) {
            keys.add(store.householdKey(groups.bucketOf()[positions[start]]));
        }
        PackedArgs args = BulkLinks.withKeysAndRanges(keys, ranges, length * 48);
        int key = leading.size() + 1;
        for (int start = 0; start < length; key++) {
            int end = BulkLines.runEnd(positions, start, groups.bucketOf());
            args.addDecimal(key).addDecimal(end - start);
            run(args, groups, number, positions, start, end);
            start = end;
        }
        return args;
    }

    /**
     * New members grouped by household, in household-bucket order: group g's members are the lines
     * {@code (int) keyed[first[g]]} to {@code (int) keyed[first[g] + members[g] - 1]}.
     */
    record Groups(long[] keyed, int[] first, int[] members, int[] bucketOf, int count) {
    }

    Groups groups(int[] number) {
        boolean[] member = new boolean[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            member[i] = number[i] >= 0 && lines.householdEnd(i) > lines.householdStart(i);
        }
        // Equal ids side by side.
        long[] keyed = lines.byBucketThenHash(lines.householdBuckets, lines.householdHash, member);
        int count = keyed.length;
        int[] first = new int[count];
        int[] members = new int[count];
        int groups = 0;
        for (int a = 0; a < count; ) {
            int b = a + 1;
            while (b < count && (keyed[b] >>> 32) == (keyed[a] >>> 32)) {
                b++;
            }
            if (b - a > 1) {
                lines.byId(keyed, a, b);
            }
            for (int g = a; g < b; ) {
                int h = g + 1;
                while (h < b && lines.sameHousehold((int) keyed[g], (int) keyed[h])) {
                    h++;
                }
                first[groups] = g;
                members[groups++] = h - g;
                g = h;
            }
            a = b;
        }
        int[] bucketOf = new int[groups];
        for (int g = 0; g < groups; g++) {
            bucketOf[g] = lines.householdBuckets.ofHash(lines.householdHash[(int) keyed[first[g]]]);
        }
        return new Groups(keyed, first, members, bucketOf, groups);
    }

    /** Groups positions[start, end) of one household bucket: household id, then its new members' numbers. */
    private void run(PackedArgs args, Groups groups, int[] number, int[] positions, int start, int end) {
        long[] keyed = groups.keyed();
        for (int j = start; j < end; j++) {
            int g = positions[j];
            int first = groups.first()[g];
            int members = groups.members()[g];
            int i = (int) keyed[first];
            args.add(lines.households, lines.householdStart(i), lines.householdEnd(i) - lines.householdStart(i));
            args.begin(4 * members);
            for (int m = first; m < first + members; m++) {
                args.putInt(number[(int) keyed[m]]);
            }
            args.end();
        }
    }
}
