package be.audiencematch.consent;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.WideBucketsEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import static be.audiencematch.support.Fixtures.assertMoved;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadMoved;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.matched;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A base laid out with more than 16 bucket bits (a 10M base's 17): index and record keys name their bucket with a
 * fifth hex digit, records keep the top 16 bits and the scripts take the 17th from the index field. Java (bulk load,
 * upload) and Lua (replacement, erasure) must agree on every key, or entries are written where nobody looks, or
 * left behind.
 */
@QuarkusTest
@WithTestResource(WideBucketsEnvironment.class)
class WideBucketsTest {

    private static final int BASE = 3_000;

    @Test
    void theServiceRecordsItsLayoutAtStartWithoutAReadinessProbe() {
        try (Inspector redis = new Inspector(WideBucketsEnvironment.wideRedis().url())) {
            assertEquals(WideBucketsEnvironment.BITS, redis.recordedBucketBits());
        }
    }

    @Test
    void aWideBaseIsLinkedMatchedReplacedAndErasedWithoutALeftoverEntry() {
        int from = range(BASE);
        loadSubscribers(from, BASE, i -> true, i -> false, i -> false);
        try (Inspector redis = new Inspector(WideBucketsEnvironment.wideRedis().url())) {
            assertEquals(0, redis.keysMatching("ix:e:????"), "no 16-bit index key");
            assertTrue(redis.keysMatching("ix:e:?????") > BASE / 2, "17-bit index keys");
            assertTrue(redis.keysMatching("sub:?????") > BASE / 2, "17-bit record keys");
            assertEquals(0, redis.keysMatching("hh:?????"), "household buckets stay at 16 bits");
            for (int i = from; i < from + BASE; i++) {
                long n = redis.numberOf(i);
                assertTrue(n >= 0);
                assertEquals(n, redis.indexed(SyntheticBase.emailHash(i), 'e'));
                assertEquals(n, redis.indexed(SyntheticBase.phoneHash(i), 'p'));
                assertTrue(redis.householdHas("hh-" + (i / 2), n));
            }
            assertEquals(2L * BASE, redis.indexEntryCount());
        }
        String audience = createAudience("wide-adv", "tv");
        upload("wide-adv", audience, emails(from, BASE) + emails(from + 50_000, 500)).then().statusCode(200);
        assertEquals(BASE, matched("wide-adv", audience), "the upload resolves through the 17-bit keys");

        // A replacement by PUT (subscriber_upsert.lua): the old identifiers go, the new one comes.
        feed().contentType(ContentType.JSON).body("{\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\""
                + SyntheticBase.emailHash(from + 10_000) + "\"}],\"consents\":{\"tv\":true}}")
                .put("/v1/subscribers/" + SyntheticBase.subscriberId(from)).then().statusCode(200);
        // A replacement by bulk load (bulk_records.lua) of 1,000 others, with a new e-mail and household each.
        loadMoved(from + 1, from + 1_001, 20_000, "wide-", "{\"tv\":true}");
        // Erasures (subscriber_erase.lua) of ten untouched ones.
        for (int i = from + 2_000; i < from + 2_010; i++) {
            feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(i)).then().statusCode(204);
        }

        try (Inspector redis = new Inspector(WideBucketsEnvironment.wideRedis().url())) {
            long first = redis.numberOf(from);
            assertEquals(-1, redis.indexed(SyntheticBase.emailHash(from), 'e'));
            assertEquals(-1, redis.indexed(SyntheticBase.phoneHash(from), 'p'));
            assertEquals(first, redis.indexed(SyntheticBase.emailHash(from + 10_000), 'e'));
            for (int i = from + 1; i < from + 1_001; i++) {
                assertMoved(redis, i, 20_000, "wide-");
            }
            for (int i = from + 2_000; i < from + 2_010; i++) {
                assertEquals(-1, redis.numberOf(i));
                assertFalse(redis.indexHas(SyntheticBase.emailHash(i), 'e'));
                assertFalse(redis.indexHas(SyntheticBase.phoneHash(i), 'p'));
            }
            // Every entry accounted for: two each, one for the 1,001 replaced, none for the 10 erased.
            assertEquals(2L * BASE - 1_001 - 2 * 10, redis.indexEntryCount());
        }
    }
}
