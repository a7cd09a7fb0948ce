package be.audiencematch.ratelimit;

import be.audiencematch.support.Fixtures;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The same small buckets as RateLimitTest, switched off: the very flood RateLimitTest sees slowed passes. */
@QuarkusTest
@TestProfile(RateLimitOffTest.Off.class)
@WithTestResource(TestEnvironment.class)
class RateLimitOffTest {

    public static class Off implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(new RateLimitTest.SmallBuckets().getConfigOverrides());
            config.put("audience-match.rate-limit.enabled", "false");
            return config;
        }
    }

    @Test
    void withLimitsOffAFloodPasses() {
        assertEquals(3 * RateLimitTest.BURST, RateLimitTest.passingOf(3 * RateLimitTest.BURST, "advertiser",
                "flooding-advertiser-unlimited"));
    }

    @Test
    void withLimitsOffAThirdBulkLoadAtOnceRuns() throws Exception {
        String subject = "feed-in-flight-unlimited";
        int from = Fixtures.range(10);
        HeldUpload first = HeldUpload.start(subject, Fixtures.subscriberJson(from, true, false, false, true));
        HeldUpload second = HeldUpload.start(subject, Fixtures.subscriberJson(from + 1, true, false, false, true));
        try {
            assertEquals(200, RateLimitTest.bulk(subject, from + 2).statusCode());
        } finally {
            assertEquals(200, first.finish());
            assertEquals(200, second.finish());
        }
    }
}
