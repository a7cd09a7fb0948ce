package be.audiencematch.campaign;

import be.audiencematch.consent.Purpose;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The packed campaign rule in {@code {p}campaign-rules}, what eligibility reads (a replica's view and the Redis
 * fallback): the only code that packs or unpacks its bytes. Lua stores the bytes as the service packed them
 * ({@code rule_lib.lua}, {@code rule_put}) and never reads them; CampaignRuleFormatTest checks both directions
 * (docs/architecture.md, "Redis key layout").
 * <p>
 * Packed in one buffer: starts and ends in ms as big-endian doubles (exact for any instant of this era), the
 * purpose's initial, the audience field after its length (one byte), then the segment ids separated by commas (ids
 * never contain one), and, when the campaign excludes audiences, a newline and the excluded audiences separated by
 * commas (neither ids nor keys contain either).
 * <p>
 * Two versions, told apart by the initial's case. Version 2 (upper case: 'T', 'W', 'A'), the one written, names the
 * audience and the excluded audiences by id: their bitmaps are found by name in every shard (docs/scaling.md,
 * "Placement"). Version 1 (lower case), written before the base could have shards, names them by their member
 * bitmaps' full keys; such a rule exists only in a base of one shard, where those keys are shard 0's, so a reader
 * takes the name after shard 0's prefix ({@link EligibilityRule#of}). Stored rules are not converted. A rule written
 * before exclusions existed has no newline and reads the same.
 */
public final class CampaignRuleFormat {

    /** Bytes before the audience field: two doubles, the purpose's initial, the field's length. */
    static final int HEAD = 18;

    /**
     * A rule as stored. {@code purpose}: the purpose's initial in lower case ('t', 'w' or 'a'), whatever the version;
     * {@code audience} and {@code excluded}: ids in version 2, member bitmap keys in version 1.
     */
    public record Rule(int version, long startsMs, long endsMs, char purpose, String audience,
                       List<String> segmentIds, List<String> excluded) {
    }

    private CampaignRuleFormat() {
    }

    /** A version 2 rule: the audience and the excluded audiences by id. */
    public static byte[] encode(long startsMs, long endsMs, Purpose purpose, String audienceId,
                                List<String> segmentIds, List<String> excludedIds) {
        return pack(startsMs, endsMs, Character.toUpperCase(purpose.wireName().charAt(0)),
                audienceId.getBytes(StandardCharsets.UTF_8), segmentIds, excludedIds);
    }

    /**
     * A version 1 rule (member bitmaps by key), as versions before 2 wrote it: nothing in the service writes one any
     * more; kept for the tests of the readers' fallback.
     */
    static byte[] encodeVersion1(long startsMs, long endsMs, Purpose purpose, byte[] audienceKey,
                                 List<String> segmentIds, List<String> excludedKeys) {
        return pack(startsMs, endsMs, purpose.wireName().charAt(0), audienceKey, segmentIds, excludedKeys);
    }

    private static byte[] pack(long startsMs, long endsMs, char initial, byte[] audience, List<String> segmentIds,
                               List<String> excluded) {
        String excludedPart = excluded.isEmpty() ? "" : "\n" + String.join(",", excluded);
        byte[] tail = (String.join(",", segmentIds) + excludedPart).getBytes(StandardCharsets.UTF_8);
        if (audience.length > 255) {
            throw new IllegalStateException("audience field longer than a rule can hold");
        }
        return ByteBuffer.allocate(HEAD + audience.length + tail.length)
                .putDouble(startsMs)
                .putDouble(endsMs)
                .put((byte) initial)
                .put((byte) audience.length)
                .put(audience)
                .put(tail)
                .array();
    }

    public static Rule decode(byte[] packed) {
        ByteBuffer in = ByteBuffer.wrap(packed);
        long starts = (long) in.getDouble();
        long ends = (long) in.getDouble();
        char initial = (char) in.get();
        int version = Character.isUpperCase(initial) ? 2 : 1;
        int audienceLength = in.get() & 0xff;
        String audience = new String(packed, HEAD, audienceLength, StandardCharsets.UTF_8);
        String rest = new String(packed, HEAD + audienceLength, packed.length - HEAD - audienceLength,
                StandardCharsets.UTF_8);
        int newline = rest.indexOf('\n');
        String segmentIds = newline < 0 ? rest : rest.substring(0, newline);
        List<String> excluded = newline < 0 || newline == rest.length() - 1 ? List.of()
                : List.of(rest.substring(newline + 1).split(","));
        List<String> segments = segmentIds.isEmpty() ? List.of() : Arrays.asList(segmentIds.split(","));
        return new Rule(version, starts, ends, Character.toLowerCase(initial), audience, List.copyOf(segments),
                excluded);
    }
}
