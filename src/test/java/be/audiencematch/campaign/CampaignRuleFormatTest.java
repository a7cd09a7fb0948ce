package be.audiencematch.campaign;

import be.audiencematch.consent.Purpose;
import be.audiencematch.support.Keys;
import be.audiencematch.support.LuaLibs;
import io.lettuce.core.ScriptOutputType;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import static be.audiencematch.support.LuaLibs.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The packed campaign rule has one owner per language: campaign/CampaignRuleFormat in Java, rule_lib.lua in Lua. Each
 * reads what the other wrote, on a real Redis: the Lua side stores (rule_put) and reads (rule_read) a rule the Java
 * side packed, and the Java side reads back the bytes the Lua side stored.
 */
class CampaignRuleFormatTest {

    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    static Stream<CampaignRuleFormat.Rule> rules() {
        long starts = 1_767_225_600_000L;
        return Stream.of(
                new CampaignRuleFormat.Rule(starts, starts + 86_400_000L, 't', Keys.key("audience:aud_1:members"),
                        List.of(), List.of()),
                new CampaignRuleFormat.Rule(starts, 4_102_444_800_000L, 'w', "{am}:audience:aud_2:members",
                        List.of("sports", "news.daily", "a-b_c"), List.of()),
                new CampaignRuleFormat.Rule(0, starts, 'a', Keys.key("audience:aud_3:members"), List.of("s1"),
                        List.of(Keys.key("audience:aud_4:members"), Keys.key("audience:aud_5:members"))),
                new CampaignRuleFormat.Rule(starts, starts + 1, 't', Keys.key("audience:aud_6:members"), List.of(),
                        List.of(Keys.key("audience:aud_7:members"))));
    }

    private static Purpose purpose(char initial) {
        return switch (initial) {
            case 't' -> Purpose.TV;
            case 'w' -> Purpose.WEB;
            default -> Purpose.ADS_AND_DATA;
        };
    }

    @ParameterizedTest
    @MethodSource("rules")
    void theLuaSideReadsWhatTheJavaSideWroteAndTheJavaSideWhatTheLuaSideStored(CampaignRuleFormat.Rule rule) {
        byte[] packed = CampaignRuleFormat.encode(rule.startsMs(), rule.endsMs(), purpose(rule.purpose()),
                bytes(rule.audienceKey()), rule.segmentIds(), rule.excludedKeys());
        assertEquals(rule, CampaignRuleFormat.decode(packed));

        // Lua: store it as the writing scripts do, read it back as the eligibility script does, and answer the parts.
        List<Object> parts = lua.eval("""
                rule_put(KEYS[1], ARGV[1], ARGV[2])
                local starts, ends, purpose, audience, segments, excluded = rule_read(redis.call('HGET', KEYS[1], ARGV[1]))
                return { tostring(starts), tostring(ends), purpose, audience, table.concat(segments, '|'),
                  table.concat(excluded, '|'), #segments, #excluded }
                """, ScriptOutputType.MULTI, new byte[][] {bytes("t:campaign-rules")}, new byte[][] {bytes("cmp_1"), packed},
                "rule_lib");
        assertEquals(Long.toString(rule.startsMs()), text(parts.get(0)));
        assertEquals(Long.toString(rule.endsMs()), text(parts.get(1)));
        assertEquals(String.valueOf(rule.purpose()), text(parts.get(2)));
        assertEquals(rule.audienceKey(), text(parts.get(3)));
        assertEquals(String.join("|", rule.segmentIds()), text(parts.get(4)));
        assertEquals(String.join("|", rule.excludedKeys()), text(parts.get(5)));
        assertEquals((long) rule.segmentIds().size(), parts.get(6));
        assertEquals((long) rule.excludedKeys().size(), parts.get(7));

        byte[] stored = lua.redis().hget(bytes("t:campaign-rules"), bytes("cmp_1"));
        assertArrayEquals(packed, stored);
        assertEquals(rule, CampaignRuleFormat.decode(stored));
    }

    private static String text(Object reply) {
        return new String((byte[]) reply, StandardCharsets.UTF_8);
    }
}
