package be.audiencematch.eligibility;

import be.audiencematch.audience.AudienceStore;
import be.audiencematch.campaign.CampaignRuleFormat;
import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.changes.ChangeLog;
import be.audiencematch.changes.SettledWrites;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.segment.SegmentStore;
import be.audiencematch.support.LuaLibs;
import be.audiencematch.support.ShardBitmaps;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.ScriptOutputType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Eligibility over a base split into shards (docs/scaling.md, "Reads"; docs/architecture.md, "Eligibility view"): a
 * replica's view and the Redis fallback ({@link CampaignStore#eligible}) give the same answers for households whose
 * members live in different shards, each member's bits read in its home shard at its local number. Rules name their
 * bitmaps by id (CampaignRuleFormat version 2); the bitmaps, rules and change entries are written here as the sharded
 * writes will place them, in a key space of four shards of its own (on the suite's cluster run, on different
 * primaries).
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class EligibilityShardsTest {

    private static final int SHARDS = 4;
    private static final int SIZE = 16;
    private static final Duration AT_MOST = Duration.ofSeconds(20);
    private static final String AUDIENCE = "aud_shards";
    private static final String EXCLUDED = "aud_shards_x";
    private static final String SEGMENT = "seg-shards";
    private static final String LATE = "aud_shards_late";
    private static final List<String> CAMPAIGNS = List.of("cmp_tv", "cmp_web", "cmp_missing", "cmp_ended");

    /** Shard 2, local 5: consents to TV, in the audience and the segment. */
    private static final int A = 5 * SHARDS + 2;
    /** Shard 3, local 7: TV and web, in the audience, not in the segment. */
    private static final int B = 7 * SHARDS + 3;
    /** Shard 1, local 3: TV, in the audience and the segment, but in the excluded audience. */
    private static final int C = 3 * SHARDS + 1;
    /** Shard 0, local 4: everything but TV. */
    private static final int D = 4 * SHARDS;
    /** Shard 0, local 5: everything (so a reader taking A's or E's number as shard 0's local one finds bits). */
    private static final int F = 5 * SHARDS;
    /** Global number 5: shard 1, local 1, with no bit anywhere. */
    private static final int E = 5;

    @Inject
    RedisConnections redis;

    @Inject
    Vertx vertx;

    @Inject
    AudienceMatchConfig config;

    @Inject
    SettledWrites settled;

    private final KeySpace keys = KeySpace.of("am-elig-shards:", TestEnvironment.cluster(), SHARDS);
    private final Map<String, int[]> households = new LinkedHashMap<>();
    private ChangeLog changes;
    private CampaignStore store;
    private ViewFollower replica;

    @BeforeEach
    void lay() {
        changes = new ChangeLog(redis, vertx, keys, config.eligibility().view(), config.redis());
        for (ChangeKeys stream : changes.streams()) {
            KeySpace.Keys at = stream.where();
            redis.withShared(stream.slot(), r -> r.del(stream.seq(), stream.stream(), stream.leases(),
                    stream.applied(), stream.viewKey(), at.key("campaign-rules"), at.key("hh:0"))).await()
                    .atMost(AT_MOST);
        }
        for (int s = 0; s < SHARDS; s++) {
            KeySpace.Keys shard = keys.shard(s);
            int of = s;
            ShardBitmaps.write(redis, shard, SubscriberStore.consentName(Purpose.TV), SIZE,
                    l -> in(of, l, A, B, C, F));
            ShardBitmaps.write(redis, shard, SubscriberStore.consentName(Purpose.WEB), SIZE, l -> in(of, l, B, D, F));
            ShardBitmaps.write(redis, shard, SubscriberStore.consentName(Purpose.ADS_AND_DATA), SIZE,
                    l -> in(of, l, D, F));
            ShardBitmaps.write(redis, shard, AudienceStore.membersName(AUDIENCE), SIZE,
                    l -> in(of, l, A, B, C, D, F));
            ShardBitmaps.write(redis, shard, SegmentStore.bitmapName(SEGMENT), SIZE, l -> in(of, l, A, C, D, F));
            ShardBitmaps.write(redis, shard, AudienceStore.membersName(EXCLUDED), SIZE, l -> in(of, l, C));
            ShardBitmaps.write(redis, shard, AudienceStore.membersName(LATE), SIZE, l -> false);
        }
        long now = System.currentTimeMillis();
        rule("cmp_tv", now - 60_000, now + 3_600_000, Purpose.TV, AUDIENCE, List.of(SEGMENT), List.of(EXCLUDED));
        rule("cmp_web", now - 60_000, now + 3_600_000, Purpose.WEB, AUDIENCE, List.of(), List.of());
        rule("cmp_missing", now - 60_000, now + 3_600_000, Purpose.TV, "aud_nowhere", List.of(), List.of());
        rule("cmp_ended", now - 60_000, now - 1, Purpose.TV, AUDIENCE, List.of(), List.of());
        households.put("hh-a", new int[] {A});
        households.put("hh-b", new int[] {B, D});
        households.put("hh-c", new int[] {C, D});
        households.put("hh-d", new int[] {C, A, B});
        households.put("hh-e", new int[] {E});
        households.put("hh-f", new int[] {F});
        households.forEach((id, members) -> {
            ByteBuffer packed = ByteBuffer.allocate(members.length * 4);
            for (int m : members) {
                packed.putInt(m);
            }
            redis.withShared(keys.shard(0).slot(), r -> r.hset(householdKey(id), bytes(id), packed.array()))
                    .await().atMost(AT_MOST);
        });
        store = new CampaignStore(redis, settled, this::householdKey, id -> 0, keys);
        replica = new ViewFollower(redis, changes, this::householdKey, id -> 0, keys.global().key("campaign-rules"), vertx,
                new SimpleMeterRegistry(), true, Duration.ofSeconds(5), 1000);
        replica.onStart(null);
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        // Each round trip below is a Redis call, not a sleep.
        while (!replica.serving() && System.nanoTime() < deadline) {
            changes.settled().await().atMost(AT_MOST);
        }
        assertTrue(replica.serving(), "the replica should serve once every stream is followed");
    }

    @AfterEach
    void stop() {
        replica.onStop(null);
    }

    @Test
    void theViewAndRedisAnswerAlikeForMembersInEveryShard() {
        Map<String, List<String>> expected = Map.of(
                "hh-a", List.of("cmp_tv"),
                "hh-b", List.of("cmp_web"),
                "hh-c", List.of(),
                "hh-d", List.of("cmp_tv", "cmp_web"),
                "hh-e", List.of(),
                "hh-f", List.of("cmp_tv", "cmp_web"),
                "hh-nowhere", List.of());
        expected.forEach((household, answer) -> assertBoth(household, answer));
        // A reader that took global numbers for shard 0's local ones, or read shard 0 only, would say otherwise.
        assertEquals(List.of("cmp_tv"), fromRedis("hh-a"), "local 5 of shard 2 is in");
        assertEquals(List.of(), fromRedis("hh-e"), "global number 5 is not local 5 of any shard");
        assertTrue(replica.view().bitmapHas(AudienceStore.membersName(AUDIENCE), A));
        assertFalse(replica.view().bitmapHas(AudienceStore.membersName(AUDIENCE), E));
    }

    @Test
    void aRuleMadeLaterReadsItsBitmapsFromEveryShard() {
        // An audience no rule named when the replica started: its parts are read once the rule comes.
        ShardBitmaps.write(redis, keys.shard(1), AudienceStore.membersName(LATE), SIZE, l -> in(1, l, C));
        assertFalse(replica.view().bitmapHas(AudienceStore.membersName(LATE), C));
        long now = System.currentTimeMillis();
        rule("cmp_late", now - 60_000, now + 3_600_000, Purpose.TV, LATE, List.of(), List.of());
        changes.settled(changes.keys()).await().atMost(AT_MOST);
        assertEquals(List.of("cmp_late"), fromView("hh-c", List.of("cmp_late")), "shard 1's part, read after start");
        assertEquals(List.of("cmp_late"), fromRedis("hh-c", List.of("cmp_late")));
        assertEquals(List.of(), fromView("hh-a", List.of("cmp_late")));
        assertEquals(List.of(), fromRedis("hh-a", List.of("cmp_late")));
    }

    @Test
    void aShardsChangesReachItsPartOnly() {
        // A leaves the audience in shard 2: the entry names shard 2's key; the view reads shard 2's part again.
        KeySpace.Keys two = keys.shard(2);
        byte[] audience = two.key(AudienceStore.membersName(AUDIENCE));
        redis.withShared(two.slot(), r -> r.setbit(audience, A / SHARDS, 0)).await().atMost(AT_MOST);
        note(changes.keys(2), "{ 'b', ARGV[1] }", audience);
        changes.settled(changes.keys(2)).await().atMost(AT_MOST);
        assertBoth("hh-a", List.of());
        assertBoth("hh-d", List.of("cmp_web"));
        assertTrue(replica.view().bitmapHas(AudienceStore.membersName(AUDIENCE), B), "other shards' parts stay");

        // B is erased in shard 3: Redis' bits go first, then the entry makes every view clear local 7 of shard 3.
        KeySpace.Keys three = keys.shard(3);
        for (String name : List.of(AudienceStore.membersName(AUDIENCE), SubscriberStore.consentName(Purpose.WEB))) {
            redis.withShared(three.slot(), r -> r.setbit(three.key(name), B / SHARDS, 0)).await().atMost(AT_MOST);
        }
        note(changes.keys(3), "{ 'e', view_erased(tonumber(ARGV[1])) }", bytes(Integer.toString(B / SHARDS)));
        changes.settled(changes.keys(3)).await().atMost(AT_MOST);
        assertFalse(replica.view().bitmapHas(AudienceStore.membersName(AUDIENCE), B), "cleared in shard 3's part");
        assertTrue(replica.view().bitmapHas(AudienceStore.membersName(AUDIENCE), F), "shard 0's part untouched");
        assertTrue(replica.view().bitmapHas(SegmentStore.bitmapName(SEGMENT), C), "shard 1's part untouched");
        assertBoth("hh-b", List.of());
        assertBoth("hh-f", List.of("cmp_tv", "cmp_web"));
    }

    /** Both answer {@code expected}, for these candidates and for every campaign. */
    private void assertBoth(String household, List<String> expected) {
        assertEquals(expected, fromView(household, CAMPAIGNS), "view, " + household);
        assertEquals(expected, fromRedis(household), "Redis, " + household);
        assertEquals(new HashSet<>(expected), new HashSet<>(fromView(household, List.of())), "view, all, " + household);
        assertEquals(new HashSet<>(expected), new HashSet<>(fromRedis(household, List.of())),
                "Redis, all, " + household);
    }

    private List<String> fromView(String household, List<String> candidates) {
        int[] members = replica.household(household).await().atMost(AT_MOST);
        return replica.view().eligible(members, candidates, System.currentTimeMillis());
    }

    private List<String> fromRedis(String household) {
        return fromRedis(household, CAMPAIGNS);
    }

    private List<String> fromRedis(String household, List<String> candidates) {
        return store.eligible(household, candidates, Instant.now()).await().atMost(AT_MOST);
    }

    /** Whether global number {@code g} is local {@code local} of shard {@code shard}, for any of {@code numbers}. */
    private static boolean in(int shard, int local, int... numbers) {
        for (int g : numbers) {
            if (g % SHARDS == shard && g / SHARDS == local) {
                return true;
            }
        }
        return false;
    }

    /** Stores a version 2 rule and notes it on the global stream, as a campaign's creation does. */
    private void rule(String id, long starts, long ends, Purpose purpose, String audience, List<String> segments,
                      List<String> excluded) {
        ChangeKeys global = changes.keys();
        byte[] packed = CampaignRuleFormat.encode(starts, ends, purpose, audience, segments, excluded);
        redis.withShared(global.slot(), r -> r.hset(global.where().key("campaign-rules"), bytes(id), packed))
                .await().atMost(AT_MOST);
        note(global, "{ 'x', ARGV[1] }", bytes(id));
    }

    /** Appends a change entry of these fields to a stream, as the writing scripts do (view_lib.lua). */
    private void note(ChangeKeys stream, String fields, byte[] arg) {
        redis.withShared(stream.slot(), r -> r.<Long>eval(LuaLibs.source("view_lib") + "\nreturn view_note(KEYS[1], "
                        + "KEYS[2], " + fields + ")", ScriptOutputType.INTEGER,
                new byte[][] {stream.seq(), stream.stream(), stream.viewKey()}, arg)).await().atMost(AT_MOST);
    }

    /** Every household's bucket: one key in shard 0, where the views and the fallback read households today. */
    private byte[] householdKey(String householdId) {
        return keys.shard(0).key("hh:0");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
