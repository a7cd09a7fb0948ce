package be.audiencematch.consent;

import be.audiencematch.support.Inspector;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.matched;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.subscriberJson;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestResource(TestEnvironment.class)
class SubscriberFeedTest {

    @Test
    void bulkLoadOfAHundredThousandLinesSkipsBadLinesAndKeepsGoodOnes() {
        int from = range(100_000);
        StringBuilder body = new StringBuilder(100_000 * 340);
        int bad = 0;
        for (int n = 0; n < 100_000; n++) {
            int i = from + n;
            if (n % 1000 == 17) {
                body.append(switch (bad++ % 5) {
                    case 0 -> "{\"subscriber_id\":\"x-" + i + "\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"jan@example.be\"}]}";
                    case 1 -> "{not json";
                    case 2 -> "{\"subscriber_id\":\"x-" + i + "\",\"rijksregisternummer\":\"85.07.30-033.28\"}";
                    case 3 -> "{\"subscriber_id\":\"x-" + i + "\",\"identifiers\":[{\"type\":\"national_id\",\"value\":\"ab\"}]}";
                    default -> "{\"identifiers\":[]}";
                });
            } else {
                body.append(subscriberJson(i, n % 2 == 0, false, false, true));
            }
            body.append('\n');
        }
        Response report = feed().contentType("application/x-ndjson").body(body.toString().getBytes(StandardCharsets.UTF_8)).post("/v1/subscribers/bulk");
        report.then().statusCode(200);
        assertEquals(99_900, (Integer) report.path("accepted"));
        assertEquals(100, (Integer) report.path("rejected"));
        List<Map<String, Object>> errors = report.path("errors");
        assertEquals(20, errors.size(), "at most 20 errors are listed");
        assertEquals(18, errors.get(0).get("line"));
        assertTrue(((String) errors.get(0).get("reason")).contains("identifiers[0].value"));
        assertTrue(((String) errors.get(1).get("reason")).contains("malformed JSON"));
        assertTrue(((String) errors.get(2).get("reason")).contains("unknown field 'rijksregisternummer'"));
        assertTrue(((String) errors.get(3).get("reason")).contains("identifiers[0].type"));
        assertTrue(((String) errors.get(4).get("reason")).contains("subscriber_id"));
        assertFalse(report.asString().contains("jan@example.be"));
        assertFalse(report.asString().contains("85.07.30"));

        String id = createAudience("acme", "tv");
        upload("acme", id, emails(from, 2000)).then().statusCode(200);
        // Of these 2000, the even ones consent to TV (1000); the bad lines (n=17, n=1017) were odd and never stored.
        assertEquals(1000, matched("acme", id));
    }

    @Test
    void erasureLeavesNoTraceInRedis() {
        int from = range(3);
        loadSubscribers(from, 3, i -> true, i -> true, i -> true);
        int victim = from + 1;
        String segment = "erase-" + from;
        putSegment(segment, "tv", emails(from, 3));
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(from, 3)).then().statusCode(200);

        try (Inspector redis = new Inspector()) {
            long number = redis.numberOf(victim);
            assertTrue(number >= 0);
            assertEquals(1, redis.bit("segment:" + segment, number));
            assertEquals(1, redis.bit("audience:" + audience + ":members", number));

            feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(victim)).then().statusCode(204);

            assertEquals(-1, redis.numberOf(victim), "the base entry is gone");
            assertFalse(redis.indexHas(SyntheticBase.emailHash(victim), 'e'));
            assertFalse(redis.indexHas(SyntheticBase.phoneHash(victim), 'p'));
            for (String bitmap : List.of("live", "consent:tv", "consent:web", "consent:ads_and_data",
                    "segment:" + segment, "audience:" + audience + ":members")) {
                assertEquals(0, redis.bit(bitmap, number), bitmap);
            }
            assertFalse(redis.householdHas("hh-" + (victim / 2), number));
            assertTrue(redis.indexHas(SyntheticBase.emailHash(from), 'e'), "the neighbours stay");
            // Erasing again is not an error.
            feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(victim)).then().statusCode(204);
        }
    }

    @Test
    void replacingASubscriberDropsItsOldIdentifiers() {
        int from = range(200);
        loadSubscribers(from, 100, i -> true, i -> false, i -> false);
        String id = SyntheticBase.subscriberId(from);
        // Subscriber `from` now carries the e-mail of index from+150 instead of its own.
        Response replaced = feed().contentType(ContentType.JSON).body("{\"identifiers\":[{\"type\":\"email_sha256\","
                + "\"value\":\"" + SyntheticBase.emailHash(from + 150) + "\"}],\"consents\":{\"tv\":true}}")
                .put("/v1/subscribers/" + id);
        replaced.then().statusCode(200);
        assertEquals(false, replaced.path("created"));
        try (Inspector redis = new Inspector()) {
            assertFalse(redis.indexHas(SyntheticBase.emailHash(from), 'e'));
            assertTrue(redis.indexHas(SyntheticBase.emailHash(from + 150), 'e'));
        }
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(from, 100) + SyntheticBase.emailHash(from + 150) + "\n").then().statusCode(200);
        assertEquals(100, matched("acme", audience), "99 by their own e-mail plus one by the new one");
    }

    @Test
    void aSubscriberTwiceInOneBulkEndsAsTheLastLineSays() {
        int from = range(120);
        String body = IntStream.range(from, from + 120).mapToObj(i -> subscriberJson(i, true, false, false, true))
                .collect(Collectors.joining("\n")) + "\n" + subscriberJson(from, false, false, false, true) + "\n";
        feed().contentType("application/x-ndjson").body(body.getBytes(StandardCharsets.UTF_8)).post("/v1/subscribers/bulk").then().statusCode(200)
                .body("accepted", org.hamcrest.Matchers.equalTo(121));
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(from, 120)).then().statusCode(200);
        assertEquals(110, matched("acme", audience), "119 consenting, rounded down");
        try (Inspector redis = new Inspector()) {
            assertEquals(0, redis.bit("consent:tv", redis.numberOf(from)));
        }
    }

    @Test
    void consentChangesNeedAKnownSubscriberAndAFlag() {
        feed().contentType(ContentType.JSON).body("{\"tv\":false}").patch("/v1/subscribers/nobody-here/consents")
                .then().statusCode(404).contentType("application/problem+json");
        int from = range(1);
        loadSubscribers(from, 1, i -> true, i -> true, i -> true);
        feed().contentType(ContentType.JSON).body("{}").patch("/v1/subscribers/" + SyntheticBase.subscriberId(from)
                + "/consents").then().statusCode(400);
        feed().contentType(ContentType.JSON).body("{\"tv\":false,\"location\":false}")
                .patch("/v1/subscribers/" + SyntheticBase.subscriberId(from) + "/consents").then().statusCode(400);
        feed().contentType(ContentType.JSON).body("{\"web\":false}")
                .patch("/v1/subscribers/" + SyntheticBase.subscriberId(from) + "/consents").then().statusCode(204);
        try (Inspector redis = new Inspector()) {
            long n = redis.numberOf(from);
            assertEquals(1, redis.bit("consent:tv", n), "purposes stay separate");
            assertEquals(0, redis.bit("consent:web", n));
            assertEquals(1, redis.bit("consent:ads_and_data", n));
        }
    }

    @Test
    void noUploadedHashOrClearTextReachesTheLog() throws Exception {
        int from = range(150);
        loadSubscribers(from, 150, i -> true, i -> false, i -> false);
        feed().contentType(ContentType.JSON).body("{\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"secret.person@example.be\"}]}")
                .put("/v1/subscribers/leak-check").then().statusCode(400);
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(from, 150) + "secret.person@example.be\n+32 475 99 88 77\n").then().statusCode(200);
        putSegment("log-" + from, "tv", emails(from, 150));
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(from)).then().statusCode(204);

        String log = java.nio.file.Files.readString(TestEnvironment.logFile(), StandardCharsets.UTF_8);
        assertFalse(log.isEmpty(), "the service logs to the file under test");
        assertFalse(java.util.regex.Pattern.compile("[0-9a-fA-F]{64}").matcher(log).find(), "no digest in the log");
        for (int i = from; i < from + 150; i++) {
            assertFalse(log.contains(SyntheticBase.emailHash(i).substring(0, 16)));
        }
        assertFalse(log.contains("secret.person"));
        assertFalse(log.contains("475 99 88 77"));
        assertFalse(log.contains(SyntheticBase.subscriberId(from)), "no subscriber id in the log");
    }
}
