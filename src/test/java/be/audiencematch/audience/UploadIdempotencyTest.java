package be.audiencematch.audience;

import be.audiencematch.support.Keys;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A chunk sent again with its Idempotency-Key counts once; without the key (or with another) it counts again. */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class UploadIdempotencyTest {

    private static Response upload(String advertiser, String audience, String key, String body) {
        var request = advertiser(advertiser).contentType("text/plain").body(body.getBytes(StandardCharsets.UTF_8));
        if (key != null) {
            request = request.header("Idempotency-Key", key);
        }
        return request.post("/v1/audiences/" + audience + "/members");
    }

    private static int received(String advertiser, String audience) {
        return advertiser(advertiser).get("/v1/audiences/" + audience).then().statusCode(200).extract().path("received");
    }

    @Test
    void theSameKeyTwiceCountsOnceAndAnswersTheFirstOutcome() {
        int from = range(120);
        loadSubscribers(from, 120, i -> true, i -> false, i -> false);
        String audience = createAudience("idem-adv", "tv");
        String key = UUID.randomUUID() + "-1";
        String list = emails(from, 120) + "not-a-digest\n";

        Response first = upload("idem-adv", audience, key, list);
        first.then().statusCode(200);
        Response again = upload("idem-adv", audience, key, list);
        again.then().statusCode(200);
        assertEquals(first.asString(), again.asString(), "the repeat answers the first upload's counts");
        assertEquals(121, received("idem-adv", audience), "the repeat counted nothing");
        assertEquals(120, (Integer) advertiser("idem-adv").get("/v1/audiences/" + audience).path("matched"));

        upload("idem-adv", audience, UUID.randomUUID() + "-2", list).then().statusCode(200);
        assertEquals(242, received("idem-adv", audience), "another key is another chunk");
        upload("idem-adv", audience, null, list).then().statusCode(200);
        assertEquals(363, received("idem-adv", audience), "no key, no deduplication");
    }

    @Test
    void aKeyIsTheAdvertisersOwnAndBoundToItsAudience() {
        int from = range(10);
        String mine = createAudience("idem-a", "tv");
        String other = createAudience("idem-a", "web");
        String theirs = createAudience("idem-b", "tv");
        String key = "run-" + from + ":chunk.1";
        upload("idem-a", mine, key, emails(from, 10)).then().statusCode(200);

        assertProblem(upload("idem-a", other, key, emails(from, 10)), 422, "another audience");
        assertEquals(0, received("idem-a", other));
        // Another advertiser's same key is not a repeat: keys are per advertiser.
        upload("idem-b", theirs, key, emails(from, 10)).then().statusCode(200);
        assertEquals(10, received("idem-b", theirs));
    }

    @Test
    void aMalformedKeyIsRefusedByNameNeverEchoed() {
        String audience = createAudience("idem-c", "tv");
        Response tooLong = upload("idem-c", audience, "k".repeat(101), emails(range(1), 1));
        assertProblem(tooLong, 400, "Idempotency-Key");
        Response odd = upload("idem-c", audience, "secret value!", emails(range(1), 1));
        assertProblem(odd, 400, "Idempotency-Key");
        assertFalse(odd.asString().contains("secret value"));
        assertEquals(0, received("idem-c", audience));
    }

    @Test
    void aFailedUploadFreesItsKey() {
        int from = range(5);
        String audience = createAudience("idem-d", "tv");
        String key = "retry-" + from;
        // Another advertiser's audience: not found, nothing counted, and the key stays usable.
        upload("idem-e", audience, key, emails(from, 5)).then().statusCode(404);
        upload("idem-d", audience, key, emails(from, 5)).then().statusCode(200);
        assertEquals(5, received("idem-d", audience));
    }

    @Test
    void aRepeatWhileTheFirstStillRunsIsToldToComeBackAndAnOutcomeIsKeptADay() {
        int from = range(5);
        String audience = createAudience("idem-f", "tv");
        String running = "running-" + from;
        String done = "done-" + from;
        try (io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(TestEnvironment.baseRedis().url());
             var connection = client.connect()) {
            // The claim a first request holds while its upload runs.
            connection.sync().setex(Keys.key("idem:idem-f:") + running, 60, "pending");
            Response repeat = upload("idem-f", audience, running, emails(from, 5));
            assertProblem(repeat, 409, "still running");
            assertEquals(0, received("idem-f", audience), "the repeat counted nothing");

            upload("idem-f", audience, done, emails(from, 5)).then().statusCode(200);
            long ttl = connection.sync().ttl(Keys.key("idem:idem-f:") + done);
            assertTrue(ttl > 23 * 3600 && ttl <= 24 * 3600, "kept a day: " + ttl);
            String kept = connection.sync().get(Keys.key("idem:idem-f:") + done);
            assertTrue(kept.startsWith("idem-f\n" + audience + "\n{"), "the advertiser, the audience and the counts");
            assertFalse(kept.contains(be.audiencematch.cli.SyntheticBase.emailHash(from)), "no digest is kept");
        }
    }
}
