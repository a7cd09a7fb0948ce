package be.audiencematch.consent;

import be.audiencematch.changes.ChangeLog;
import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.kernel.KeySpace;
import be.audiencematch.redis.RedisConnections;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.Keys;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static be.audiencematch.support.Fixtures.assertMoved;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadMoved;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.subscriberJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The two-pass bulk load (BulkChunk): what it writes, and that nothing stale survives a change between its passes. */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class BulkLoadTest {

    @Inject
    SubscriberStore store;
    @Inject
    SubscriberService service;
    @Inject
    RedisConnections redis;
    /** The change stream a chunk's household step appends to, as a bulk load gets it (SettledWrites.blocking). */
    @Inject
    ChangeLog changeLog;
    @Inject
    KeySpace keySpace;

    private static Subscriber synthetic(int i, String householdId, String email) {
        return new Subscriber(SyntheticBase.subscriberId(i), List.of(
                new HashedIdentifier(IdentifierType.EMAIL_SHA256, HexFormat.of().parseHex(email)),
                new HashedIdentifier(IdentifierType.PHONE_SHA256, HexFormat.of().parseHex(SyntheticBase.phoneHash(i)))),
                householdId, new Consents(true, false, true));
    }

    /**
     * For the tests that drive BulkChunk's own steps and count its guard's work: they are the one-shard load's. A base
     * of several shards loads through ShardedBulk, with a check afterwards instead of the guard (BulkShardsTest;
     * docs/scaling.md, "A write across shards"); the tests through the API below cover both.
     */
    private void assumeOneShard() {
        assumeTrue(keySpace.shards() == 1, "BulkChunk's passes, guard and appends are the one-shard load's; a base of "
                + keySpace.shards() + " shards loads through ShardedBulk (docs/scaling.md, \"A write across shards\")");
    }

    @Test
    void aReplacementOrAnErasureBetweenThePassesLeavesNoStaleEntry() {
        assumeOneShard();
        // Ours up to from + 1000: the replacement's new e-mail is that subscriber's, so no other test has it.
        int from = range(1_001);
        int erased = from + 1;
        int replaced = from + 2;
        BulkChunk chunk = store.bulkChunk(16, changeLog.keys());
        for (int i = from; i < from + 6; i++) {
            chunk.add(synthetic(i, "hh-" + (i / 2), SyntheticBase.emailHash(i)));
        }
        StatefulRedisConnection<byte[], byte[]> connection = redis.dedicated().toCompletableFuture().join();
        try {
            chunk.writeRecords(connection);
            chunk.prepareLinks(true);
            // Redis runs one connection's commands in order: once PING answers, the records are there.
            var ping = connection.async().ping();
            connection.flushCommands();
            ping.toCompletableFuture().join();

            service.erase(SyntheticBase.subscriberId(erased)).await().indefinitely();
            String newEmail = SyntheticBase.emailHash(from + 1000);
            assertFalse(service.upsert(synthetic(replaced, "hh-moved-" + from, newEmail)).await().indefinitely(),
                    "the record from the first pass is there, so this is a replacement");

            chunk.writeLinks(connection).join();
            assertEquals(1, chunk.discardedBatches(),
                    "the identifier batch's transaction was discarded and went through the entry-by-entry script");
            assertEquals(0, chunk.rebuiltLinks(), "the links built before the changes went; their guard kept them right");

            try (Inspector inspector = new Inspector()) {
                assertEquals(-1, inspector.numberOf(erased));
                assertEquals(-1, inspector.indexed(SyntheticBase.emailHash(erased), 'e'), "no trace of the erased");
                assertEquals(-1, inspector.indexed(SyntheticBase.phoneHash(erased), 'p'));

                long number = inspector.numberOf(replaced);
                assertEquals(-1, inspector.indexed(SyntheticBase.emailHash(replaced), 'e'), "the old e-mail is gone");
                assertEquals(number, inspector.indexed(newEmail, 'e'));
                assertEquals(number, inspector.indexed(SyntheticBase.phoneHash(replaced), 'p'));
                assertTrue(inspector.householdHas("hh-moved-" + from, number));
                assertFalse(inspector.householdHas("hh-" + (replaced / 2), number), "not in its old household");

                for (int i = from; i < from + 6; i++) {
                    if (i == erased || i == replaced) {
                        continue;
                    }
                    long n = inspector.numberOf(i);
                    assertEquals(n, inspector.indexed(SyntheticBase.emailHash(i), 'e'), "the others are linked");
                    assertEquals(n, inspector.indexed(SyntheticBase.phoneHash(i), 'p'));
                    assertTrue(inspector.householdHas("hh-" + (i / 2), n));
                    assertEquals(0, inspector.bit("loading", n), "loading bits are cleared");
                }
            }
        } finally {
            connection.close();
        }
    }

    @Test
    void anIdentifierTwoSubscribersShareAnswersForTheLaterOneAndAPutMakesItItsOwn() {
        // Both entries kept, in line order: the load appends, in one shard or in the index bucket's shard.
        int from = range(3);
        String shared = SyntheticBase.emailHash(from);
        StringBuilder body = new StringBuilder();
        for (int i = from; i < from + 2; i++) {
            body.append("{\"subscriber_id\":\"").append(SyntheticBase.subscriberId(i)).append("\",\"identifiers\":")
                    .append("[{\"type\":\"email_sha256\",\"value\":\"").append(shared)
                    .append("\"}],\"consents\":{\"tv\":true}}\n");
        }
        assertEquals(2, service.bulkLoad(new java.io.ByteArrayInputStream(body.toString().getBytes(StandardCharsets.UTF_8)))
                .accepted());
        try (Inspector inspector = new Inspector()) {
            long first = inspector.numberOf(from);
            long second = inspector.numberOf(from + 1);
            assertEquals(List.of(first, second), java.util.Arrays.stream(inspector.indexEntries(shared, 'e')).boxed()
                    .toList(), "the load appends both, in line order");
            assertEquals(second, inspector.indexed(shared, 'e'), "the later line answers");

            service.erase(SyntheticBase.subscriberId(from + 1)).await().indefinitely();
            assertEquals(first, inspector.indexed(shared, 'e'), "the other subscriber still names the identifier");

            service.upsert(synthetic(from + 2, null, shared)).await().indefinitely();
            long third = inspector.numberOf(from + 2);
            assertEquals(1, inspector.indexEntries(shared, 'e').length, "a PUT leaves one entry: its own");
            assertEquals(third, inspector.indexed(shared, 'e'));
        }
    }

    private static String line(int i, boolean tv) {
        return "{\"subscriber_id\":\"" + SyntheticBase.subscriberId(i) + "\",\"identifiers\":[{\"type\":\"email_sha256\","
                + "\"value\":\"" + SyntheticBase.emailHash(i) + "\"},{\"type\":\"phone_sha256\",\"value\":\""
                + SyntheticBase.phoneHash(i) + "\"}],\"household_id\":\"hh-again-" + i + "\",\"consents\":{\"tv\":" + tv
                + "}}\n";
    }

    private void load(String lines) {
        var report = service.bulkLoad(new java.io.ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)));
        assertEquals(0, report.rejected());
    }

    @Test
    void aFeedSentAgainKeepsEveryoneAsTheyWereAndAppliesWhatChanged() {
        int from = range(3);
        load(line(from, true) + line(from + 1, true));
        // Meanwhile another subscriber takes the first one's e-mail (a PUT: the identifier is now its own).
        service.upsert(synthetic(from + 2, null, SyntheticBase.emailHash(from))).await().indefinitely();
        try (Inspector inspector = new Inspector()) {
            long first = inspector.numberOf(from);
            long second = inspector.numberOf(from + 1);
            assertEquals(inspector.numberOf(from + 2), inspector.indexed(SyntheticBase.emailHash(from), 'e'));

            load(line(from, true) + line(from + 1, false));

            assertEquals(first, inspector.numberOf(from), "the same number: replaced, not created");
            assertEquals(second, inspector.numberOf(from + 1));
            assertEquals(first, inspector.indexed(SyntheticBase.emailHash(from), 'e'),
                    "sent again, the subscriber owns its identifier again, as any replacement makes it");
            assertEquals(1, inspector.indexEntries(SyntheticBase.emailHash(from), 'e').length);
            assertEquals(second, inspector.indexed(SyntheticBase.phoneHash(from + 1), 'p'));
            assertEquals(1, inspector.bit("consent:tv", first));
            assertEquals(0, inspector.bit("consent:tv", second), "the consent that changed is applied");
            assertTrue(inspector.householdHas("hh-again-" + (from + 1), second));
            assertEquals(0, inspector.bit("loading", second));
        }
    }

    /**
     * A feed sent again over several chunks (1,000 lines each in tests): its first call finds it replaces subscribers,
     * so the later calls name their lines' buckets (bulk_records.lua declares its keys); a third of the subscribers
     * moved to another e-mail and household, whose old buckets only their stored records name (those lines wait and
     * go again with them). Every subscriber ends as its line says, and a moved one's old e-mail points at no one.
     */
    @Test
    void aFeedSentAgainOverSeveralChunksMovesSomeAndKeepsTheRest() {
        int count = 2_500;
        // Ours from + 100,000 on, the moved e-mails 100,000 further: indexes other tests' subscribers never had (an
        // earlier test's e-mails reach past its own range, and an e-mail this load drops would show theirs again).
        int from = range(count + 200_000) + 100_000;
        StringBuilder first = new StringBuilder();
        StringBuilder again = new StringBuilder();
        for (int i = from; i < from + count; i++) {
            first.append(line(i, true));
            again.append(i % 3 == 0
                    ? line(i, true).replace(SyntheticBase.emailHash(i), SyntheticBase.emailHash(i + 100_000))
                            .replace("hh-again-" + i, "hh-moved-" + i)
                    : line(i, false));
        }
        load(first.toString());
        load(again.toString());
        try (Inspector inspector = new Inspector()) {
            for (int i = from; i < from + count; i++) {
                long n = inspector.numberOf(i);
                assertTrue(n >= 0);
                assertEquals(n, inspector.indexed(SyntheticBase.phoneHash(i), 'p'));
                assertEquals(0, inspector.bit("loading", n));
                if (i % 3 == 0) {
                    assertEquals(n, inspector.indexed(SyntheticBase.emailHash(i + 100_000), 'e'));
                    assertEquals(-1, inspector.indexed(SyntheticBase.emailHash(i), 'e'), "the old e-mail: no one");
                    assertTrue(inspector.householdHas("hh-moved-" + i, n));
                    assertFalse(inspector.householdHas("hh-again-" + i, n), "not in the household it left");
                    assertEquals(1, inspector.bit("consent:tv", n));
                } else {
                    assertEquals(n, inspector.indexed(SyntheticBase.emailHash(i), 'e'));
                    assertEquals(0, inspector.bit("consent:tv", n), "the consent that changed");
                }
            }
        }
    }

    @Test
    void aBucketALoadAppendedToIsRewrittenToItsSizeAtTheEnd() {
        // 3,000 e-mails in one index bucket (their first two digest bytes alike), so that the test's 1,000-line
        // chunks append to it three times: APPEND then holds up to twice what it needs, until the load's end.
        int count = 3_000;
        int from = range(count);
        String bucket = "7e5a";
        StringBuilder body = new StringBuilder();
        for (int i = from; i < from + count; i++) {
            String email = bucket + String.format("%016x", 0x5eed_0000_0000L + i) + "0".repeat(44);
            body.append("{\"subscriber_id\":\"packed-").append(i).append("\",\"identifiers\":[{\"type\":")
                    .append("\"email_sha256\",\"value\":\"").append(email).append("\"}],\"consents\":{\"tv\":true}}\n");
        }
        var report = service.bulkLoad(new java.io.ByteArrayInputStream(body.toString().getBytes(StandardCharsets.UTF_8)));
        assertEquals(count, report.accepted());
        try (Inspector inspector = new Inspector()) {
            long[] usage = inspector.indexBucketMemoryAndLength('e', bucket);
            assertTrue(usage[1] >= 12L * count, "every entry is there");
            assertTrue(usage[0] < usage[1] * 5 / 4, "Redis holds " + usage[0] + " bytes for " + usage[1]);
            String last = bucket + String.format("%016x", 0x5eed_0000_0000L + from + count - 1) + "0".repeat(44);
            assertTrue(inspector.indexed(last, 'e') >= 0);
        }
    }

    @Test
    void everyIdentifierBatchIsWrittenOnceWithAnswersOffOrThroughTheScript() {
        assumeOneShard();
        for (boolean quiet : new boolean[] {true, false}) {
            int count = 3_000;
            int from = range(count);
            BulkChunk chunk = store.bulkChunk(count, changeLog.keys());
            for (int i = from; i < from + count; i++) {
                chunk.add(synthetic(i, "hh-" + i, SyntheticBase.emailHash(i)));
            }
            StatefulRedisConnection<byte[], byte[]> connection = redis.dedicated().toCompletableFuture().join();
            try {
                chunk.writeRecords(connection);
                chunk.prepareLinks(quiet);
                chunk.writeLinks(connection, quiet).join();
            } finally {
                connection.close();
            }
            // 6,000 identifier entries: two batches, neither discarded, both read back from the chunk's marks.
            assertEquals(0, chunk.discardedBatches(), "quiet: " + quiet);
            assertEquals(0, chunk.rebuiltLinks(), "Redis gave the guessed numbers: the links built ahead went");
            try (Inspector inspector = new Inspector()) {
                for (int i = from; i < from + count; i++) {
                    long n = inspector.numberOf(i);
                    assertEquals(n, inspector.indexed(SyntheticBase.emailHash(i), 'e'), "quiet: " + quiet);
                    assertEquals(n, inspector.indexed(SyntheticBase.phoneHash(i), 'p'), "quiet: " + quiet);
                    assertEquals(0, inspector.bit("loading", n));
                }
                assertEquals(0, inspector.keysMatching("bulk:marks:*"), "a chunk's marks go when it is linked");
            }
        }
    }

    @Test
    void aLostConnectionFailsTheCommandsItHadSentRatherThanSendingThemAgain() throws Exception {
        // What a bulk load relies on: a record call is not idempotent (run twice, the second run finds the subscribers
        // the first created and counts them as replaced, leaving them unlinked). Lettuce reconnects, but fails what it
        // had sent, so the load fails (503) and is sent again whole, which is safe.
        StatefulRedisConnection<byte[], byte[]> connection = redis.dedicated().toCompletableFuture().join();
        try {
            var id = connection.async().clientId().toCompletableFuture();
            connection.flushCommands();
            long clientId = id.get(5, java.util.concurrent.TimeUnit.SECONDS);
            var waiting = connection.async().blpop(10, "test:never-filled".getBytes(StandardCharsets.UTF_8))
                    .toCompletableFuture();
            connection.flushCommands();
            try (Inspector inspector = new Inspector()) {
                // Killed once Redis runs the BLPOP: the command was sent, not merely queued in the client.
                while (!inspector.commandOf(clientId).equals("blpop")) {
                    Thread.onSpinWait();
                }
                inspector.killClient(clientId);
            }
            // Resent after a reconnect, the BLPOP would wait its 10 s and this would time out instead.
            org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> waiting.get(5, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            connection.close();
        }
    }

    @Test
    void aLoadRacingErasuresAndReplacementsEndsConsistent() {
        int count = 10_000;
        int from = range(count + 100_000);
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.CompletableFuture<Void> load = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                loadSubscribers(from, count, i -> true, i -> false, i -> true);
            } finally {
                running.set(false);
            }
        });
        // While the load runs (chunks of 1,000 in tests): subscribers 5k erased and 5k + 1 replaced, over and over,
        // whether the load has reached them or not. Whichever came last wins; nothing stale may survive either way.
        int changes = 0;
        while (running.get()) {
            for (int i = from; i < from + count && running.get(); i += 5) {
                service.erase(SyntheticBase.subscriberId(i)).await().indefinitely();
                service.upsert(synthetic(i + 1, "moved-" + (i + 1), SyntheticBase.emailHash(i + 1 + 100_000)))
                        .await().indefinitely();
                changes++;
            }
        }
        load.join();
        assertTrue(changes > 0, "changes ran while the load did");
        try (Inspector inspector = new Inspector()) {
            for (int i = from; i < from + count; i++) {
                long n = inspector.numberOf(i);
                long email = inspector.indexed(SyntheticBase.emailHash(i), 'e');
                long phone = inspector.indexed(SyntheticBase.phoneHash(i), 'p');
                if (n < 0) {
                    assertTrue(i % 5 == from % 5, "only erased subscribers are missing");
                    assertEquals(-1, email, "no index entry of an erased subscriber");
                    assertEquals(-1, phone);
                    continue;
                }
                assertEquals(n, phone);
                assertEquals(1, inspector.bit("live", n));
                assertEquals(0, inspector.bit("loading", n));
                boolean replaced = i % 5 == (from + 1) % 5 && email != n;
                if (replaced) {
                    assertEquals(-1, email, "the replaced e-mail points at no one");
                    assertEquals(n, inspector.indexed(SyntheticBase.emailHash(i + 100_000), 'e'));
                    assertTrue(inspector.householdHas("moved-" + i, n));
                    assertFalse(inspector.householdHas("hh-" + (i / 2), n), "not in the household it left");
                } else {
                    assertEquals(n, email);
                    assertTrue(inspector.householdHas("hh-" + (i / 2), n));
                    if (i % 5 == (from + 1) % 5) {
                        assertEquals(-1, inspector.indexed(SyntheticBase.emailHash(i + 100_000), 'e'),
                                "the replacement's e-mail is gone once the load's line replaced it back");
                        assertFalse(inspector.householdHas("moved-" + i, n));
                    }
                }
            }
        }
    }

    @Test
    void recordsAreNumberedByRedisWhenTheGuessedNumbersAreWrong() {
        assumeOneShard();
        int from = range(8);
        int existing = from + 3;
        loadSubscribers(existing, 1, i -> true, i -> true, i -> true);
        BulkChunk chunk = store.bulkChunk(16, changeLog.keys());
        for (int i = from; i < from + 8; i++) {
            chunk.add(synthetic(i, "hh-" + (i / 2), SyntheticBase.emailHash(i)));
        }
        StatefulRedisConnection<byte[], byte[]> connection = redis.dedicated().toCompletableFuture().join();
        try (Inspector inspector = new Inspector()) {
            long existingNumber = inspector.numberOf(existing);
            long next = inspector.counter(Keys.key("seq"));
            // Too high by 5, and one subscriber is not new: both are for Redis to notice.
            chunk.writeRecords(connection, next + 5);
            chunk.prepareLinks(true);
            chunk.writeLinks(connection).join();
            assertEquals(1, chunk.rebuiltLinks(), "the links built ahead held the guessed numbers");

            assertEquals(next + 7, inspector.counter(Keys.key("seq")), "seven new subscribers, numbered without a gap");
            assertEquals(next + 7, chunk.nextNumber(), "the next chunk's guess, read from the answers");
            assertEquals(existingNumber, inspector.numberOf(existing), "a replaced subscriber keeps its number");
            java.util.Set<Long> numbers = new java.util.HashSet<>();
            for (int i = from; i < from + 8; i++) {
                long n = inspector.numberOf(i);
                assertTrue(i == existing || (n >= next && n < next + 7), "a new number from Redis' own sequence");
                assertTrue(numbers.add(n), "numbers are distinct");
                assertEquals(n, inspector.indexed(SyntheticBase.emailHash(i), 'e'), "the record and the index agree");
                assertEquals(n, inspector.indexed(SyntheticBase.phoneHash(i), 'p'));
                assertTrue(inspector.householdHas("hh-" + (i / 2), n));
                assertEquals(1, inspector.bit("live", n));
                assertEquals(1, inspector.bit("consent:tv", n));
                assertEquals(0, inspector.bit("consent:web", n));
                assertEquals(0, inspector.bit("loading", n));
            }
        } finally {
            connection.close();
        }
    }

    @Test
    void aLoadAcrossManyChunksLinksEveryoneAndAppendsToExistingHouseholds() {
        int from = range(2_600);
        // The first member of each household (even i) first, in a load of its own; then everyone, odd i new.
        String evens = IntStream.range(from / 2, (from + 2_600) / 2).map(h -> 2 * h).filter(i -> i >= from)
                .mapToObj(i -> subscriberJson(i, true, false, false, true)).collect(Collectors.joining("\n"));
        feed().contentType("application/x-ndjson").body(evens.getBytes(StandardCharsets.UTF_8))
                .post("/v1/subscribers/bulk").then().statusCode(200);
        loadSubscribers(from, 2_600, i -> i % 3 != 0, i -> false, i -> true);
        try (Inspector inspector = new Inspector()) {
            for (int i = from; i < from + 2_600; i++) {
                long n = inspector.numberOf(i);
                assertTrue(n >= 0);
                assertEquals(n, inspector.indexed(SyntheticBase.emailHash(i), 'e'));
                assertEquals(n, inspector.indexed(SyntheticBase.phoneHash(i), 'p'));
                assertTrue(inspector.householdHas("hh-" + (i / 2), n), "in its household");
                assertEquals(i % 3 != 0 ? 1 : 0, inspector.bit("consent:tv", n), "the second load's consent");
                assertEquals(0, inspector.bit("consent:web", n));
                assertEquals(1, inspector.bit("live", n));
                assertEquals(0, inspector.bit("loading", n));
            }
        }
    }

    @Test
    void aBulkReplacementMovesIdentifiersAndHouseholds() {
        int from = range(1_200);
        loadSubscribers(from, 1_200, i -> true, i -> true, i -> true);
        // Everyone again: subscriber i now has the e-mail of i + 5000, household "moved-…", no TV consent.
        loadMoved(from, from + 1_200, 5_000, "moved-", "{\"web\":true}");
        try (Inspector inspector = new Inspector()) {
            for (int i = from; i < from + 1_200; i += 7) {
                long n = assertMoved(inspector, i, 5_000, "moved-");
                assertEquals(0, inspector.bit("consent:tv", n));
                assertEquals(1, inspector.bit("consent:web", n));
                assertEquals(0, inspector.bit("consent:ads_and_data", n));
            }
        }
    }

    @Test
    void bulkLinesAndLoadsAreCountedInTheMetrics() {
        double accepted = metric("audience_match_bulk_lines_total\\{outcome=\"accepted\"");
        double rejected = metric("audience_match_bulk_lines_total\\{outcome=\"rejected\"");
        double loads = metric("audience_match_bulk_load_seconds_count");
        int from = range(30);
        String body = IntStream.range(from, from + 30).mapToObj(i -> i % 10 == 3 ? "{not json"
                : subscriberJson(i, true, false, false, true)).collect(Collectors.joining("\n"));
        feed().contentType("application/x-ndjson").body(body.getBytes(StandardCharsets.UTF_8))
                .post("/v1/subscribers/bulk").then().statusCode(200);
        assertEquals(accepted + 27, metric("audience_match_bulk_lines_total\\{outcome=\"accepted\""));
        assertEquals(rejected + 3, metric("audience_match_bulk_lines_total\\{outcome=\"rejected\""));
        assertEquals(loads + 1, metric("audience_match_bulk_load_seconds_count"));
    }

    /** The value of the first Prometheus sample whose name and labels start with {@code prefix} (a regex). */
    private static double metric(String prefix) {
        String text = io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + prefix + "[^ ]* ([0-9.eE+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void aRedisThatForgotItsScriptsIsGivenThemAgain() {
        int from = range(12);
        try (Inspector inspector = new Inspector()) {
            inspector.forgetScripts();
            loadSubscribers(from, 10, i -> true, i -> true, i -> true);
            // Every step of the load ran: records, index, households, loading bits cleared.
            long n = inspector.numberOf(from + 3);
            assertEquals(n, inspector.indexed(SyntheticBase.emailHash(from + 3), 'e'));
            assertTrue(inspector.householdHas("hh-" + ((from + 3) / 2), n));
            assertEquals(0, inspector.bit("loading", n));

            // A single subscriber's script, which nothing loads beforehand: sent again with its body on NOSCRIPT.
            inspector.forgetScripts();
            feed().contentType("application/json").body(subscriberJson(from + 11, true, false, false, false))
                    .put("/v1/subscribers/" + SyntheticBase.subscriberId(from + 11)).then().statusCode(201);
            long single = inspector.numberOf(from + 11);
            assertTrue(single >= 0);
            assertEquals(single, inspector.indexed(SyntheticBase.emailHash(from + 11), 'e'));
        }
    }

    @Test
    void aSubscriberRepeatedWithinAChunkIsWrittenAsItsLastLine() {
        assumeOneShard();
        int from = range(301);
        BulkChunk chunk = store.bulkChunk(512, changeLog.keys());
        for (int i = from; i < from + 300; i++) {
            chunk.add(synthetic(i, "hh-" + i, SyntheticBase.emailHash(i)));
        }
        String lastEmail = SyntheticBase.emailHash(from + 300);
        chunk.add(new Subscriber(SyntheticBase.subscriberId(from + 7), List.of(
                new HashedIdentifier(IdentifierType.EMAIL_SHA256, HexFormat.of().parseHex(lastEmail))),
                "hh-last-" + from, new Consents(false, true, false)));
        long before;
        try (Inspector inspector = new Inspector()) {
            before = inspector.counter(Keys.key("seq"));
        }
        StatefulRedisConnection<byte[], byte[]> connection = redis.dedicated().toCompletableFuture().join();
        try {
            chunk.writeRecords(connection);
            chunk.writeLinks(connection).join();
        } finally {
            connection.close();
        }
        try (Inspector inspector = new Inspector()) {
            assertEquals(before + 300, inspector.counter(Keys.key("seq")), "301 lines, 300 subscribers");
            long n = inspector.numberOf(from + 7);
            assertEquals(n, inspector.indexed(lastEmail, 'e'), "its last line's identifier");
            assertEquals(-1, inspector.indexed(SyntheticBase.emailHash(from + 7), 'e'), "its first line left nothing");
            assertEquals(-1, inspector.indexed(SyntheticBase.phoneHash(from + 7), 'p'));
            assertTrue(inspector.householdHas("hh-last-" + from, n));
            assertFalse(inspector.householdHas("hh-" + (from + 7), n));
            assertEquals(0, inspector.bit("consent:tv", n));
            assertEquals(1, inspector.bit("consent:web", n));
        }
    }

    @Test
    void aSubscriberRepeatedAcrossChunksEndsAsItsLastLine() {
        int from = range(1_500);
        // Chunks of 1,000 in tests: line 1,400 repeats subscriber `from` from the first chunk, with TV withdrawn.
        String body = IntStream.range(from, from + 1_500).mapToObj(i -> i == from + 1_399
                        ? subscriberJson(from, false, false, false, true) : subscriberJson(i, true, false, false, true))
                .collect(Collectors.joining("\n"));
        feed().contentType("application/x-ndjson").body(body.getBytes(StandardCharsets.UTF_8))
                .post("/v1/subscribers/bulk").then().statusCode(200)
                .body("accepted", org.hamcrest.Matchers.equalTo(1_500));
        try (Inspector inspector = new Inspector()) {
            long n = inspector.numberOf(from);
            assertEquals(0, inspector.bit("consent:tv", n));
            assertEquals(n, inspector.indexed(SyntheticBase.emailHash(from), 'e'));
            assertTrue(inspector.householdHas("hh-" + (from / 2), n));
            assertEquals(-1, inspector.numberOf(from + 1_399), "the line that repeated `from` made no one else");
        }
    }
}
