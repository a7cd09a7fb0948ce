package be.audiencematch.eligibility;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.TestEnvironment;
import io.lettuce.core.StreamMessage;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadMoved;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.subscriberJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The change stream outlives an erasure by thousands of entries: it names households by a keyed tag, never by id
 * (docs/architecture.md, "Eligibility view"). Read as an auditor would, after every kind of write that changes a
 * household's members, it holds none of the test's household ids, while it still notes the households.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class ChangeStreamHouseholdsTest {

    @Test
    void noStreamEntryCarriesAHouseholdId() {
        int from = range(6);
        String prefix = "hh-stream-" + from + "-";
        List<String> households = new ArrayList<>();
        // PUT into a household, PATCH, PUT moving to another, DELETE.
        for (int k = 0; k < 2; k++) {
            int i = from + k;
            String home = prefix + "put-" + k;
            households.add(home);
            feed().contentType(ContentType.JSON).body(withHousehold(i, home))
                    .put("/v1/subscribers/" + SyntheticBase.subscriberId(i)).then().statusCode(201);
            feed().contentType(ContentType.JSON).body("{\"web\":false}")
                    .patch("/v1/subscribers/" + SyntheticBase.subscriberId(i) + "/consents").then().statusCode(204);
            String moved = prefix + "moved-" + k;
            households.add(moved);
            feed().contentType(ContentType.JSON).body(withHousehold(i, moved))
                    .put("/v1/subscribers/" + SyntheticBase.subscriberId(i)).then().statusCode(200);
        }
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(from)).then().statusCode(204);
        // A bulk load: households prefix + "bulk-" + i, then erased one.
        loadMoved(from + 2, from + 6, 0, prefix + "bulk-", "{\"tv\":true}");
        for (int i = from + 2; i < from + 6; i++) {
            households.add(prefix + "bulk-" + i);
        }
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(from + 2)).then().statusCode(204);

        // Every stream: each shard's and the global one in a base of several shards (docs/scaling.md, "Change
        // streams and read-your-writes").
        try (Inspector redis = new Inspector()) {
            HouseholdTags tags = new HouseholdTags(redis.viewKey());
            java.util.Set<Long> inStream = new java.util.HashSet<>();
            int named = 0;
            int tagged = 0;
            for (StreamMessage<byte[], byte[]> entry : redis.changeEntries()) {
                for (Map.Entry<byte[], byte[]> field : entry.getBody().entrySet()) {
                    String value = new String(field.getValue(), StandardCharsets.ISO_8859_1);
                    for (String household : households) {
                        if (value.contains(household) || value.contains(prefix)) {
                            named++;
                        }
                    }
                    if (field.getKey()[0] == 'h') {
                        tagged++;
                        java.nio.ByteBuffer tagsOf = java.nio.ByteBuffer.wrap(field.getValue());
                        tagsOf.position(HouseholdTags.KEY_ID_BYTES);
                        while (tagsOf.remaining() >= HouseholdTags.TAG_BYTES) {
                            inStream.add(tagsOf.getLong());
                        }
                    }
                }
            }
            assertEquals(0, named, "stream fields that carry one of the test's household ids");
            assertTrue(tagged >= 7, "the households are still noted, by tag: " + tagged);
            // The replicas' tags (Java) are the scripts' tags (Lua): every household of the test is in the stream.
            assertEquals(households.size(), households.stream().filter(h -> inStream.contains(tags.of(h))).count(),
                    "households whose tag a replica would find in the stream");
        }
    }

    private static String withHousehold(int i, String household) {
        return subscriberJson(i, true, true, false, false).replace("\"hh-" + (i / 2) + "\"", "\"" + household + "\"");
    }
}
