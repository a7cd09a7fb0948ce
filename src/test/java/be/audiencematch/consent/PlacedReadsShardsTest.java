package be.audiencematch.consent;

import be.audiencematch.access.AccessApi;
import be.audiencematch.access.AccessStore;
import be.audiencematch.audit.AuditLog;
import be.audiencematch.audience.Audience;
import be.audiencematch.audience.AudienceStore;
import be.audiencematch.campaign.CampaignRuleFormat;
import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.changes.SettledWrites;
import be.audiencematch.export.ExportStore;
import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.matching.MatchingUpload;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.segment.SegmentStore;
import be.audiencematch.support.TestEnvironment;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.roaringbitmap.RoaringBitmap;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reads that start from a subscriber or a household, on subscribers written as a base of four shards places
 * them (docs/scaling.md, "Placement"): eligibility from Redis finds a household's list in its bucket's shard and its
 * members' bits in their home shards; the right of access reads the home shard and the global keys. On the suite's
 * cluster run the shards sit on different primaries, so a read in the wrong shard fails there.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class PlacedReadsShardsTest {

    private static final int SHARDS = 4;
    private static final Duration AT_MOST = Duration.ofSeconds(20);

    @Inject
    RedisConnections redis;

    @Inject
    Vertx vertx;

    @Inject
    AudienceMatchConfig config;

    @Inject
    ObjectMapper json;

    @Inject
    AuditLog audit;

    @Test
    void eligibilityAndTheRightOfAccessReadWhereTheWritesPlacedThem() {
        ShardedBase sharded = new ShardedBase(redis, vertx, config, "placed-shards", SHARDS);
        KeySpace keys = sharded.keys;
        SubscriberStore base = sharded.store;
        SettledWrites settled = sharded.settled;
        // Households of two whose members mostly live in other shards than the household's list.
        int households = 0;
        for (int i = 0; i < 16; i++) {
            base.upsert(new Subscriber("placed-" + i, List.of(email(i)), "home-" + (i / 2),
                    new Consents(i % 4 != 3, true, true))).await().atMost(AT_MOST);
        }
        for (int h = 0; h < 8; h++) {
            if (base.householdShard("home-" + h) != base.homeShard("placed-" + (2 * h))) {
                households++;
            }
        }
        assertTrue(households > 2, "lists and members in different shards");

        AudienceStore audiences = new AudienceStore(redis, settled, keys);
        Instant now = Instant.now();
        Audience tv = new Audience("aud-placed", "acme", "placed", Channel.TV, IdentifierType.EMAIL_SHA256, 0, 0, 0,
                0, now, now.plus(Duration.ofDays(1)), 0, List.of(IdentifierType.EMAIL_SHA256));
        audiences.create(tv).await().atMost(AT_MOST);
        RoaringBitmap matched = new RoaringBitmap();
        for (int i = 0; i < 16; i += 2) {
            matched.add((int) sharded.numberOf("placed-" + i));
        }
        audiences.merge(tv, Purpose.TV, new MatchingUpload.Outcome(8, 8, 0, 0, List.of(), matched))
                .await().atMost(AT_MOST);
        CampaignStore campaigns = new CampaignStore(redis, settled, base, keys);
        redis.withShared(keys.global().slot(), r -> r.hset(campaigns.rulesKey(), bytes("cmp_placed"),
                CampaignRuleFormat.encode(0, Long.MAX_VALUE / 2, Purpose.TV, tv.id(), List.of(), List.of()))
                .thenCompose(ok -> r.hset(campaigns.campaignKey("cmp_placed"), bytes("audience"), bytes(tv.id())))
                .thenCompose(ok -> r.sadd(campaigns.allKey(), bytes("cmp_placed")))).await().atMost(AT_MOST);

        for (int h = 0; h < 8; h++) {
            // Member 2h is in the audience; it consents to TV unless 2h % 4 == 3, which never holds: every household.
            List<String> eligible = campaigns.eligible("home-" + h, List.of("cmp_placed"), Instant.now())
                    .await().atMost(AT_MOST);
            assertEquals(List.of("cmp_placed"), eligible, "household " + h);
        }
        assertEquals(List.of(), campaigns.eligible("nobody-home", List.of("cmp_placed"), Instant.now())
                .await().atMost(AT_MOST));

        AccessStore access = new AccessStore(redis, base, new SegmentStore(redis, settled, base, json, keys),
                audiences, campaigns, new ExportStore(redis, audit, keys), keys);
        Optional<AccessApi.SubscriberHeld> held = access.held("placed-2").await().atMost(AT_MOST);
        assertTrue(held.isPresent());
        assertEquals("home-1", held.get().householdId());
        assertEquals(1L, held.get().audiences());
        assertEquals(1L, held.get().campaigns());
        assertEquals(true, held.get().consents().get("tv").granted());
        Optional<AccessApi.SubscriberHeld> other = access.held("placed-3").await().atMost(AT_MOST);
        assertEquals(0L, other.orElseThrow().audiences());
        assertEquals(false, other.get().consents().get("tv").granted());
        assertTrue(access.held("placed-99").await().atMost(AT_MOST).isEmpty());
    }

    private static HashedIdentifier email(int i) {
        try {
            return HashedIdentifier.ofHex(IdentifierType.EMAIL_SHA256, HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(("placed-" + i).getBytes(
                            StandardCharsets.UTF_8))));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
