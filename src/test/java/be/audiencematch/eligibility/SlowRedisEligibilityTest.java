package be.audiencematch.eligibility;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.askEligibility;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stalled Redis (the process frozen with SIGSTOP: it holds its connections and answers nothing) makes eligibility
 * answer "no campaign eligible" within its timeout, then at once once the circuit opens, instead of hanging until
 * the Redis client gives up; with Redis back, answers come from Redis again ({@link SlowRedisGuard}). The view is off,
 * so every question needs Redis.
 */
@QuarkusTest
@TestProfile(SlowRedisEligibilityTest.EveryAnswerFromRedis.class)
@WithTestResource(TestEnvironment.class)
class SlowRedisEligibilityTest {

    public static class EveryAnswerFromRedis implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("audience-match.eligibility.view.enabled", "false",
                    // Longer than the guard's 200 ms, so that only the guard can make the answer fast.
                    "audience-match.redis.timeout", "3s");
        }
    }

    @Test
    void aStalledRedisMeansNoCampaignEligibleAnsweredFast() throws Exception {
        int from = range(4);
        from += from % 2;
        loadSubscribers(from, 2, i -> true, i -> false, i -> false);
        String audience = createAudience("acme", "tv");
        upload("acme", audience, emails(from, 2)).then().statusCode(200);
        String campaign = advertiser("acme").contentType(ContentType.JSON)
                .body("{\"audience_id\":\"" + audience + "\",\"segments\":[],\"starts_at\":\""
                        + Instant.now().minus(Duration.ofHours(1)) + "\",\"ends_at\":\"" + Instant.now().plus(Duration.ofDays(1)) + "\"}")
                .post("/v1/campaigns").then().statusCode(201).extract().path("id");
        String household = "hh-" + (from / 2);
        // A cold service on a busy machine may miss the 200 ms itself at first (and answer, rightly, nothing).
        assertEquals(List.of(campaign), eligibleSoon(household, campaign));

        List<Long> millis = new ArrayList<>();
        TestEnvironment.baseRedis().suspend();
        try {
            for (int q = 0; q < 30; q++) {
                long started = System.nanoTime();
                Response answer = askEligibility(household, campaign);
                millis.add((System.nanoTime() - started) / 1_000_000);
                assertEquals(200, answer.statusCode());
                assertEquals(List.of(), answer.path("eligible"), "fail closed: nothing eligible");
            }
        } finally {
            TestEnvironment.baseRedis().resume();
        }
        assertTrue(millis.stream().allMatch(m -> m < 1_000), "every answer within the timeout, not Redis': " + millis);
        // The circuit opened (20 questions, half timed out): the last ones are answered without waiting for Redis,
        // well under the 200 ms a timed-out question takes (by the median: a busy host delays one now and then).
        List<Long> last = millis.subList(20, 30).stream().sorted().toList();
        assertTrue(last.get(5) < 100, "the circuit opened: answered without waiting: " + millis);

        // Redis back: once the circuit lets trial questions through, the campaign is eligible again.
        assertEquals(List.of(campaign), eligibleSoon(household, campaign));
    }

    /** Asks until the campaign is eligible, for at most 20 s. */
    private static List<String> eligibleSoon(String household, String campaign) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        List<String> eligible = List.of();
        while (!eligible.equals(List.of(campaign)) && System.nanoTime() < deadline) {
            eligible = askEligibility(household, campaign).then().statusCode(200).extract().path("eligible");
        }
        return eligible;
    }
}
