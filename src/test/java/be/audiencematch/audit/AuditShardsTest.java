package be.audiencematch.audit;

import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.XAddArgs;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The audit trail over a base split into shards (docs/scaling.md, "Placement"): what the services record goes to the
 * global stream, each shard's feed changes to its own, and reading merges them by entry id, page after page, with
 * nothing lost or repeated, also where entries of several streams share an id. The entries are appended here as the
 * sharded writes will, in a key space of four shards of its own (on the suite's cluster run, on different primaries).
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class AuditShardsTest {

    private static final int SHARDS = 4;

    @Inject
    RedisConnections redis;

    @Inject
    Vertx vertx;

    @Inject
    AudienceMatchConfig config;

    private final KeySpace keys = KeySpace.of("am-audit-shards:", TestEnvironment.cluster(), SHARDS);
    private final List<String> expected = new ArrayList<>();
    private AuditLog log;

    @BeforeEach
    void append() {
        log = new AuditLog(redis, vertx, keys, config);
        // Stream s of 5 (the global one, then the shards) holds ids 1000 + 7k + s for k = 0..5, each of kind
        // "export" when k is even; id 2000-0 is in three streams at once.
        for (int stream = 0; stream <= SHARDS; stream++) {
            KeySpace.Keys where = stream == 0 ? keys.global() : keys.shard(stream - 1);
            redis.withShared(where.slot(), r -> r.del(AuditLog.streamKey(where))).await().indefinitely();
            for (int k = 0; k < 6; k++) {
                add(where, (1000 + 7 * k + stream) + "-0", k % 2 == 0 ? "export" : "subscriber.erased");
            }
            if (stream % 2 == 0) {
                add(where, "2000-0", "export");
            }
        }
        expected.sort(MergedPages.BY_ID);
    }

    @AfterEach
    void stop() {
        log.stop();
    }

    private void add(KeySpace.Keys where, String id, String kind) {
        redis.withShared(where.slot(), r -> r.xadd(AuditLog.streamKey(where), new XAddArgs().id(id),
                Map.of(bytes("kind"), bytes(kind), bytes("at"), bytes(Instant.ofEpochMilli(1000).toString()))))
                .await().indefinitely();
        expected.add(id);
    }

    @Test
    void pagesMergeEveryStreamByIdWithNothingLostOrRepeated() {
        for (int limit : new int[] {1, 2, 3, 7, 100}) {
            List<String> read = new ArrayList<>();
            String first = "-";
            for (int pages = 0; pages < 100; pages++) {
                AuditLog.Page page = log.page(first, "+", null, limit).await().indefinitely();
                page.entries().forEach(e -> read.add(e.get("id")));
                assertTrue(page.entries().size() <= limit + 2, "a page grows only by entries sharing its last id");
                if (page.nextCursor() == null) {
                    break;
                }
                first = "(" + page.nextCursor();
            }
            assertEquals(expected, read, "pages of " + limit);
        }
        List<String> exports = new ArrayList<>();
        for (Map<String, String> e : log.page("-", "+", "export", 1000).await().indefinitely().entries()) {
            exports.add(e.get("id"));
        }
        assertEquals(18, exports.size(), "15 of even k, and 2000-0 in three streams");
    }

    @Test
    void theNewestComeFromEveryStreamAndATrimReachesEveryStream() {
        List<Map<String, String>> newest = log.newest("export", 4).await().indefinitely();
        assertEquals(List.of("2000-0", "2000-0", "2000-0", "1032-0"), newest.stream().map(e -> e.get("id")).toList());
        assertEquals(30, log.trimBefore(Instant.ofEpochMilli(2000)).await().indefinitely(), "every id below 2000");
        AuditLog.Page left = log.page("-", "+", null, 100).await().indefinitely();
        assertEquals(3, left.entries().size());
        assertNull(left.nextCursor());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
