package be.audiencematch.eligibility;

import be.audiencematch.audience.AudienceStore;
import be.audiencematch.campaign.CampaignRuleFormat;
import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.changes.ChangeLog;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.support.LuaLibs;
import be.audiencematch.support.ShardBitmaps;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.ScriptOutputType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.TimeoutException;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The change streams of a base split into shards (docs/scaling.md, "Change streams and read-your-writes"): one per
 * shard and one on the global keys, each with its own change numbers, leases and confirmations. A replica's view
 * follows all of them and names subscribers by global number; a write waits for the views on the stream it appended
 * to, and a replica behind on one stream holds only that stream's writers. The entries are written here as the sharded
 * writes will (view_lib.lua, in each shard's slot), in a key space of four shards of its own (on the suite's cluster
 * run, on different primaries).
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ChangeStreamShardsTest {

    private static final int SHARDS = 4;
    private static final Duration AT_MOST = Duration.ofSeconds(20);
    /** Sets a subscriber's consent bits in its shard and notes the change, as a consent write does. */
    private static final String CONSENT = """
            local l = tonumber(ARGV[1])
            for p = 0, 2 do redis.call('SETBIT', KEYS[4 + p], l, tonumber(ARGV[2 + p])) end
            return view_note(KEYS[1], KEYS[2], { 'c', view_consent(l, tonumber(ARGV[2]), tonumber(ARGV[3]),
              tonumber(ARGV[4])) })
            """;

    @Inject
    RedisConnections redis;

    @Inject
    Vertx vertx;

    @Inject
    AudienceMatchConfig config;

    private final KeySpace keys = KeySpace.of("am-view-shards:", TestEnvironment.cluster(), SHARDS);
    private ChangeLog changes;
    private final List<ViewFollower> started = new ArrayList<>();

    @BeforeEach
    void empty() {
        changes = new ChangeLog(redis, vertx, keys, config.eligibility().view(), config.redis());
        for (ChangeKeys stream : changes.streams()) {
            redis.withShared(stream.slot(), r -> r.del(stream.seq(), stream.stream(), stream.leases(), stream.applied(),
                    stream.viewKey(), consentKey(stream.where(), Purpose.TV), consentKey(stream.where(), Purpose.WEB),
                    consentKey(stream.where(), Purpose.ADS_AND_DATA), stream.where().key("campaign-rules"),
                    stream.where().key("audience:a:members"))).await().atMost(AT_MOST);
        }
    }

    @AfterEach
    void stop() {
        started.forEach(f -> f.onStop(null));
    }

    @Test
    void everyStreamIsFollowedAndAWriteIsInTheViewOnceItsStreamSettled() {
        assertEquals(SHARDS + 1, changes.streams().size(), "one stream a shard and the global one");
        // Written before the replica starts: its snapshot puts each shard's consents at their global numbers.
        consent(2, 5, 1, 0, 1);
        ViewFollower replica = start();
        EligibilityView view = replica.view();
        assertTrue(view.consentHas(0, 5 * SHARDS + 2), "local 5 of shard 2 is global 22");
        assertTrue(view.consentHas(2, 5 * SHARDS + 2));
        assertFalse(view.consentHas(1, 5 * SHARDS + 2));
        assertFalse(view.consentHas(0, 5), "not at its local number");
        for (ChangeKeys stream : changes.streams()) {
            long leases = redis.withShared(stream.slot(), r -> r.zcard(stream.leases())).await().atMost(AT_MOST);
            assertEquals(1, leases, "the replica holds a lease on every stream");
        }
        for (int round = 0; round < 12; round++) {
            int shard = round % SHARDS;
            int local = 3 + round;
            int tv = round % 2;
            consent(shard, local, tv, 1, 0);
            // Straight after the write's stream settled: the view has it (read-your-writes, stream by stream).
            changes.settled(changes.keys(shard)).await().atMost(AT_MOST);
            int global = local * SHARDS + shard;
            assertEquals(tv == 1, view.consentHas(0, global), "round " + round);
            assertTrue(view.consentHas(1, global), "round " + round);
            assertFalse(view.consentHas(2, global), "round " + round);
        }
        assertTrue(replica.serving());
    }

    @Test
    void aReplicaBehindOnOneShardHoldsThatShardsWritersOnly() {
        start();
        ChangeKeys three = changes.keys(3);
        // A replica registered in shard 3 only, with a lease running and nothing applied: writers to shard 3 wait for
        // it, writers to shard 1 do not.
        redis.withShared(three.slot(), r -> r.time().thenCompose(t -> {
            long now = Long.parseLong(new String(t.get(0), StandardCharsets.UTF_8)) * 1000;
            return r.zadd(three.leases(), now + 60_000, bytes("replica_behind"))
                    .thenCompose(n -> r.hset(three.applied(), bytes("replica_behind"), bytes("0")));
        })).await().atMost(AT_MOST);
        consent(3, 1, 1, 1, 1);
        consent(1, 1, 1, 1, 1);
        changes.settled(changes.keys(1)).await().atMost(AT_MOST);
        assertThrows(TimeoutException.class,
                () -> changes.settled(three).await().atMost(Duration.ofMillis(300)),
                "a write to shard 3 waits for the replica that has not applied it");
        redis.withShared(three.slot(), r -> r.zrem(three.leases(), bytes("replica_behind"))).await().atMost(AT_MOST);
        changes.settled(three).await().atMost(AT_MOST);
        changes.settled().await().atMost(AT_MOST);
    }

    @Test
    void campaignsComeFromTheGlobalStream() {
        ViewFollower replica = start();
        consent(1, 2, 1, 0, 0);
        int global = 2 * SHARDS + 1;
        ChangeKeys stream = changes.keys();
        // The audience's members bitmap in shard 1, by local number; the rule names the audience by id.
        ShardBitmaps.write(redis, keys.shard(1), AudienceStore.membersName("a"), 8, l -> l == 2);
        byte[] rule = CampaignRuleFormat.encode(0, Long.MAX_VALUE / 2, Purpose.TV, "a", List.of(), List.of());
        redis.withShared(stream.slot(), r -> r.hset(stream.where().key("campaign-rules"), bytes("cmp_1"), rule)
                .thenCompose(ok -> r.<Long>eval(LuaLibs.source("view_lib") + "\nreturn view_note(KEYS[1], KEYS[2], "
                                + "{ 'x', ARGV[1] })", ScriptOutputType.INTEGER,
                        new byte[][] {stream.seq(), stream.stream(), stream.viewKey()}, bytes("cmp_1"))))
                .await().atMost(AT_MOST);
        changes.settled(stream).await().atMost(AT_MOST);
        changes.settled(changes.keys(1)).await().atMost(AT_MOST);
        assertEquals(List.of("cmp_1"), replica.view().eligible(new int[] {global}, List.of("cmp_1"),
                System.currentTimeMillis()));
        assertEquals(List.of(), replica.view().eligible(new int[] {2}, List.of("cmp_1"), System.currentTimeMillis()),
                "local number 2 of shard 1 is not global number 2");
    }

    private ViewFollower start() {
        ViewFollower follower = new ViewFollower(redis, changes, id -> keys.shard(0).key("hh:0"), id -> 0,
                keys.global().key("campaign-rules"), vertx, new SimpleMeterRegistry(), true, Duration.ofSeconds(5),
                1000);
        started.add(follower);
        follower.onStart(null);
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        // Each round trip below is a Redis call, not a sleep.
        while (!follower.serving() && System.nanoTime() < deadline) {
            changes.settled().await().atMost(AT_MOST);
        }
        assertTrue(follower.serving(), "the replica should serve once every stream is followed");
        return follower;
    }

    private void consent(int shard, int local, int tv, int web, int ads) {
        ChangeKeys stream = changes.keys(shard);
        KeySpace.Keys where = keys.shard(shard);
        redis.withShared(stream.slot(), r -> r.<Long>eval(LuaLibs.source("view_lib") + "\n" + CONSENT,
                ScriptOutputType.INTEGER, new byte[][] {stream.seq(), stream.stream(), stream.viewKey(),
                    consentKey(where, Purpose.TV), consentKey(where, Purpose.WEB),
                    consentKey(where, Purpose.ADS_AND_DATA)},
                bytes(Integer.toString(local)), bytes(Integer.toString(tv)), bytes(Integer.toString(web)),
                bytes(Integer.toString(ads)))).await().atMost(AT_MOST);
    }

    private static byte[] consentKey(KeySpace.Keys where, Purpose purpose) {
        return where.key(SubscriberStore.consentName(purpose));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
