package be.audiencematch.campaign;

import be.audiencematch.consent.Purpose;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The packed campaign rule in {@code {p}campaign-rules}, what the eligibility hot path reads: the only Java code
 * that writes or reads its bytes. Its Lua counterpart is {@code rule_lib.lua} ({@code rule_put}, {@code rule_read});
 * CampaignRuleFormatTest runs each against the other's bytes (docs/architecture.md, "Redis key layout").
 * <p>
 * Packed so that Lua unpacks it in one call: starts and ends in ms as big-endian doubles (exact for any instant of
 * this era), the purpose's initial, the audience bitmap's key after its length (one byte), then the segment ids
 * separated by commas (ids never contain one), and, when the campaign excludes audiences, a newline and their member
 * bitmaps' keys separated by commas (keys never contain either). A rule written before exclusions existed has no
 * newline and reads the same.
 */
public final class CampaignRuleFormat {

    /** Bytes before the audience key: two doubles, the purpose's initial, the key's length. */
    static final int HEAD = 18;

    /** A rule as stored. {@code purpose}: the purpose's initial ('t', 'w' or 'a'). */
    public record Rule(long startsMs, long endsMs, char purpose, String audienceKey, List<String> segmentIds,
                       List<String> excludedKeys) {
    }

    private CampaignRuleFormat() {
    }

    public static byte[] encode(long startsMs, long endsMs, Purpose purpose, byte[] audienceKey,
                                List<String> segmentIds, List<String> excludedKeys) {
        String excluded = excludedKeys.isEmpty() ? "" : "\n" + String.join(",", excludedKeys);
        byte[] tail = (String.join(",", segmentIds) + excluded).getBytes(StandardCharsets.UTF_8);
        if (audienceKey.length > 255) {
            throw new IllegalStateException("audience key longer than a rule can hold");
        }
        return ByteBuffer.allocate(HEAD + audienceKey.length + tail.length)
                .putDouble(startsMs)
                .putDouble(endsMs)
                .put((byte) purpose.wireName().charAt(0))
                .put((byte) audienceKey.length)
                .put(audienceKey)
                .put(tail)
                .array();
    }

    public static Rule decode(byte[] packed) {
        ByteBuffer in = ByteBuffer.wrap(packed);
        long starts = (long) in.getDouble();
        long ends = (long) in.getDouble();
        char purpose = (char) in.get();
        int audienceLength = in.get() & 0xff;
        String audience = new String(packed, HEAD, audienceLength, StandardCharsets.UTF_8);
        String rest = new String(packed, HEAD + audienceLength, packed.length - HEAD - audienceLength,
                StandardCharsets.UTF_8);
        int newline = rest.indexOf('\n');
        String segmentIds = newline < 0 ? rest : rest.substring(0, newline);
        List<String> excluded = newline < 0 || newline == rest.length() - 1 ? List.of()
                : List.of(rest.substring(newline + 1).split(","));
        List<String> segments = segmentIds.isEmpty() ? List.of() : Arrays.asList(segmentIds.split(","));
        return new Rule(starts, ends, purpose, audience, List.copyOf(segments), excluded);
    }
}
