package be.audiencematch.redis;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.kernel.RedisUrls;
import be.audiencematch.support.ClusterEnvironment;
import be.audiencematch.support.RedisServer;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.resource.ClientResources;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.matched;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The service on a three-primary Redis Cluster, configured with a node that does not hold its keys. */
@QuarkusTest
@WithTestResource(ClusterEnvironment.class)
class ClusterModeTest {

    @Test
    void theWholeFlowRunsOnTheSlotOwnerWithEveryKeyInOneSlot() {
        int from = range(400);
        loadSubscribers(from, 400, i -> true, i -> false, i -> false);
        putSegment("cluster-seg", "tv", emails(from, 200));
        String audience = createAudience("cluster-adv", "tv");
        upload("cluster-adv", audience, emails(from, 300) + emails(from + 9_000_000, 20)).then().statusCode(200);

        assertEquals(300, matched("cluster-adv", audience));
        assertEquals(200, matched("cluster-adv", audience, "cluster-seg"));
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(from)).then().statusCode(204);
        assertEquals(190, matched("cluster-adv", audience, "cluster-seg"), "199 after the erasure, rounded down");
        advertiser("cluster-adv").get("/v1/audiences").then().statusCode(200);

        RedisServer owner = ClusterEnvironment.owner();
        int slot = SlotHash.getSlot(ClusterEnvironment.PREFIX);
        for (RedisServer node : ClusterEnvironment.nodes()) {
            RedisClient client = RedisClient.create(node.url());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                long keys = c.sync().dbsize();
                if (node == owner) {
                    assertTrue(keys > 10, "the slot owner holds the base: " + keys + " keys");
                    assertEquals(keys, c.sync().clusterCountKeysInSlot(slot), "every key in the prefix's slot");
                } else {
                    assertEquals(0, keys, "nothing on a node that does not serve the slot");
                }
            } finally {
                client.shutdown();
            }
        }
    }

    @Test
    void whenTheSlotMovesToAnotherPrimaryTheServiceFollows() throws Exception {
        int from = range(200);
        loadSubscribers(from, 200, i -> true, i -> false, i -> false);
        String audience = createAudience("cluster-mover", "tv");
        upload("cluster-mover", audience, emails(from, 150)).then().statusCode(200);
        assertEquals(150, matched("cluster-mover", audience));

        RedisServer before = ClusterEnvironment.owner();
        RedisServer after = ClusterEnvironment.nodes().stream().filter(n -> n != before).findFirst().orElseThrow();
        ClusterEnvironment.moveSlot(before, after);
        assertEquals(after, ClusterEnvironment.owner());

        // Until the service has looked at the topology again (every 5 s) its commands meet MOVED: 503, never a
        // wrong answer. Then it answers from the new primary, with nothing lost.
        Instant deadline = Instant.now().plusSeconds(30);
        int status;
        do {
            status = advertiser("cluster-mover").get("/v1/audiences/" + audience).statusCode();
            assertTrue(status == 200 || status == 503, "only 200 or 503 while the slot moves: " + status);
            if (status != 200) {
                assertTrue(Instant.now().isBefore(deadline), "the service did not follow the slot");
                LockSupport.parkNanos(100_000_000L);   // pacing, not synchronisation
            }
        } while (status != 200);
        assertEquals(150, matched("cluster-mover", audience));
        // Writes reach the new primary too (a bulk load answers 200 only once every script call succeeded).
        loadSubscribers(range(10), 10, i -> true, i -> false, i -> false);
    }

    @Test
    void seedsAreACommaSeparatedListSharingTheFirstOnesSchemeAndCredentials() {
        List<RedisURI> seeds = RedisUrls.seeds("rediss://svc:secret@node-a:7001,node-b:7002,node-c/0",
                Duration.ofSeconds(3));
        assertEquals(3, seeds.size());
        assertEquals("node-a", seeds.get(0).getHost());
        assertEquals(7001, seeds.get(0).getPort());
        assertEquals("node-b", seeds.get(1).getHost());
        assertEquals(7002, seeds.get(1).getPort());
        assertEquals("node-c", seeds.get(2).getHost());
        assertEquals(7001, seeds.get(2).getPort(), "a port left out is the first's");
        for (RedisURI seed : seeds) {
            assertTrue(seed.isSsl());
            assertEquals("svc", seed.getUsername());
            assertEquals("secret", new String(seed.getPassword()));
            assertEquals(Duration.ofSeconds(3), seed.getTimeout());
        }
        assertEquals(List.of("n:1"), RedisUrls.seeds("redis://n:1", Duration.ofSeconds(1)).stream()
                .map(u -> u.getHost() + ":" + u.getPort()).toList());
    }

    @Inject
    RedisConnections redis;

    @Test
    void aCallNamingAnotherSlotGoesToThePrimaryServingIt() {
        RedisServer home = ClusterEnvironment.owner();
        int homeSlot = SlotHash.getSlot(ClusterEnvironment.PREFIX);
        for (int k = 0; k < 64; k++) {
            String name = "{routing-" + k + "}:probe";
            byte[] key = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int slot = SlotHash.getSlot(key);
            String answer = redis.withShared(slot, r -> r.set(key, new byte[] {'1'}))
                    .await().atMost(Duration.ofSeconds(10));
            assertEquals("OK", answer, "no MOVED: the call went to the primary of slot " + slot);
            RedisServer owner = ClusterEnvironment.ownerOf(name);
            RedisClient direct = RedisClient.create(owner.url());
            try (var c = direct.connect(io.lettuce.core.codec.ByteArrayCodec.INSTANCE)) {
                assertEquals(1L, c.sync().exists(key), "the key is on the primary that serves its slot");
            } finally {
                direct.shutdown();
            }
            redis.withShared(slot, r -> r.del(key)).await().atMost(Duration.ofSeconds(10));
            if (owner != home) {
                // The home slot's calls still go to its own primary.
                assertEquals("PONG", redis.withShared(r -> r.ping()).await().atMost(Duration.ofSeconds(10)));
                assertTrue(homeSlot != slot);
                return;
            }
        }
        throw new AssertionError("no probe key fell on another primary than the prefix's");
    }

    @Test
    void aPrefixWithoutAHashTagIsGivenOneOnAClusterAndKeptAsItIsElsewhere() {
        assertTrue(RedisUrls.hasHashTag("{am}:"));
        assertTrue(RedisUrls.hasHashTag("prod:{am}:"));
        assertFalse(RedisUrls.hasHashTag("am:"));
        assertFalse(RedisUrls.hasHashTag("{}am:"));
        assertFalse(RedisUrls.hasHashTag("am}{:"));
        assertEquals("am:{base}:", RedisUrls.keyPrefix("am:", true), "the default prefix works on a cluster");
        assertEquals("{am}:", RedisUrls.keyPrefix("{am}:", true), "a tag of the operator's own is kept");
        assertEquals("am:", RedisUrls.keyPrefix("am:", false), "a standalone Redis keeps today's keys");
        int slot = SlotHash.getSlot(RedisUrls.keyPrefix("am:", true) + "live");
        assertEquals(slot, SlotHash.getSlot(RedisUrls.keyPrefix("am:", true) + "sub:00af"), "one slot for all keys");
        ClientResources resources = ClientResources.create();
        try {
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> new ClusterTopology(resources, ClientOptions.create(),
                            List.of(RedisURI.create("redis://127.0.0.1:1")), "am:"));
            assertTrue(refused.getMessage().contains("hash tag"));
        } finally {
            resources.shutdown();
        }
    }

    @Test
    void theTopologyNamesThePrimaryOfThePrefixsSlotWithTheSeedsCredentials() {
        ClientResources resources = ClientResources.create();
        RedisServer owner = ClusterEnvironment.owner();
        RedisServer seed = ClusterEnvironment.nodes().stream().filter(n -> n != owner).findFirst().orElseThrow();
        ClusterTopology topology = new ClusterTopology(resources, ClientOptions.create(),
                RedisUrls.seeds(seed.url(), Duration.ofSeconds(2)), ClusterEnvironment.PREFIX);
        try {
            topology.refresh().toCompletableFuture().join();
            RedisURI primary = topology.primaryOf(topology.slot());
            assertEquals(owner.port(), primary.getPort(), "the owner, found through a node that does not hold the slot");
            assertEquals(Duration.ofSeconds(2), primary.getTimeout(), "the seed's settings");
            assertEquals(SlotHash.getSlot(ClusterEnvironment.PREFIX), topology.slot());
        } finally {
            topology.shutdown();
            resources.shutdown();
        }
    }
}
