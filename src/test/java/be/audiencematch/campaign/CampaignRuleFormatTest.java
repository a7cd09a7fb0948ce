package be.audiencematch.campaign;

import be.audiencematch.consent.Purpose;
import be.audiencematch.support.Keys;
import be.audiencematch.support.LuaLibs;
import io.lettuce.core.ScriptOutputType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static be.audiencematch.support.LuaLibs.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The packed campaign rule has one owner, campaign/CampaignRuleFormat: it packs and reads both versions, and the Lua
 * that stores a rule with its campaign (rule_lib.lua, rule_put) stores the very bytes packed, which read back the same,
 * on a real Redis. A version 1 rule (bitmaps by shard 0's keys) reads as the version 2 rule of the same campaign
 * (bitmaps by name) once EligibilityRule takes its names (docs/architecture.md, "Redis key layout").
 */
class CampaignRuleFormatTest {

    @RegisterExtension
    static final LuaLibs lua = new LuaLibs();

    private static final long STARTS = 1_767_225_600_000L;

    static Stream<CampaignRuleFormat.Rule> rules() {
        return Stream.of(
                new CampaignRuleFormat.Rule(2, STARTS, STARTS + 86_400_000L, 't', "aud_1", List.of(), List.of()),
                new CampaignRuleFormat.Rule(2, STARTS, 4_102_444_800_000L, 'w', "aud_2",
                        List.of("sports", "news.daily", "a-b_c"), List.of()),
                new CampaignRuleFormat.Rule(2, 0, STARTS, 'a', "aud_3", List.of("s1"), List.of("aud_4", "aud_5")),
                new CampaignRuleFormat.Rule(2, STARTS, STARTS + 1, 't', "aud_6", List.of(), List.of("aud_7")),
                new CampaignRuleFormat.Rule(1, STARTS, STARTS + 86_400_000L, 't', Keys.key("audience:aud_1:members"),
                        List.of(), List.of()),
                new CampaignRuleFormat.Rule(1, STARTS, 4_102_444_800_000L, 'w', "{am}:audience:aud_2:members",
                        List.of("sports", "news.daily", "a-b_c"), List.of()),
                new CampaignRuleFormat.Rule(1, 0, STARTS, 'a', Keys.key("audience:aud_3:members"), List.of("s1"),
                        List.of(Keys.key("audience:aud_4:members"), Keys.key("audience:aud_5:members"))));
    }

    private static Purpose purpose(char initial) {
        return switch (initial) {
            case 't' -> Purpose.TV;
            case 'w' -> Purpose.WEB;
            default -> Purpose.ADS_AND_DATA;
        };
    }

    private static byte[] pack(CampaignRuleFormat.Rule rule) {
        return rule.version() == 2
                ? CampaignRuleFormat.encode(rule.startsMs(), rule.endsMs(), purpose(rule.purpose()), rule.audience(),
                        rule.segmentIds(), rule.excluded())
                : CampaignRuleFormat.encodeVersion1(rule.startsMs(), rule.endsMs(), purpose(rule.purpose()),
                        bytes(rule.audience()), rule.segmentIds(), rule.excluded());
    }

    @ParameterizedTest
    @MethodSource("rules")
    void whatIsPackedIsStoredAsPackedAndReadsBackTheSame(CampaignRuleFormat.Rule rule) {
        byte[] packed = pack(rule);
        assertEquals(rule, CampaignRuleFormat.decode(packed));
        char initial = (char) packed[16];
        assertEquals(rule.version() == 2 ? Character.toUpperCase(rule.purpose()) : rule.purpose(), initial,
                "the version is the initial's case");

        // Lua stores it as the writing scripts do; the Java side reads back the bytes stored.
        lua.eval("rule_put(KEYS[1], ARGV[1], ARGV[2])\nreturn 1", ScriptOutputType.INTEGER,
                new byte[][] {bytes("t:campaign-rules")}, new byte[][] {bytes("cmp_1"), packed}, "rule_lib");
        byte[] stored = lua.redis().hget(bytes("t:campaign-rules"), bytes("cmp_1"));
        assertArrayEquals(packed, stored);
        assertEquals(rule, CampaignRuleFormat.decode(stored));
    }

    @Test
    void aVersion1RuleNamesTheBitmapsOfShardZerosKeys() {
        String prefix = Keys.key("");
        byte[] v1 = CampaignRuleFormat.encodeVersion1(STARTS, STARTS + 10, Purpose.WEB,
                bytes(Keys.key("audience:aud_3:members")), List.of("s1", "s2"),
                List.of(Keys.key("audience:aud_4:members"), Keys.key("audience:aud_5:members")));
        byte[] v2 = CampaignRuleFormat.encode(STARTS, STARTS + 10, Purpose.WEB, "aud_3", List.of("s1", "s2"),
                List.of("aud_4", "aud_5"));
        EligibilityRule byName = EligibilityRule.of(CampaignRuleFormat.decode(v2), prefix);
        assertEquals(new EligibilityRule(STARTS, STARTS + 10, Purpose.WEB, "audience:aud_3:members",
                List.of("segment:s1", "segment:s2"), List.of("audience:aud_4:members", "audience:aud_5:members")),
                byName);
        assertEquals(byName, EligibilityRule.of(CampaignRuleFormat.decode(v1), prefix));
        assertEquals(byName, EligibilityRule.of(CampaignRuleFormat.decode(v2), "other:"),
                "a version 2 rule names no key");
    }

    @Test
    void aVersion1RuleWhoseKeysAreNotShardZerosIsNotRead() {
        byte[] elsewhere = CampaignRuleFormat.encodeVersion1(STARTS, STARTS + 10, Purpose.TV,
                bytes("other:audience:aud_1:members"), List.of(), List.of());
        assertNull(EligibilityRule.of(CampaignRuleFormat.decode(elsewhere), Keys.key("")),
                "not eligible rather than read from a key no shard has");
        byte[] excludedElsewhere = CampaignRuleFormat.encodeVersion1(STARTS, STARTS + 10, Purpose.TV,
                bytes(Keys.key("audience:aud_1:members")), List.of(), List.of("other:audience:aud_2:members"));
        assertNull(EligibilityRule.of(CampaignRuleFormat.decode(excludedElsewhere), Keys.key("")),
                "an exclusion that cannot be read excludes no one: the rule is not read at all");
    }
}
