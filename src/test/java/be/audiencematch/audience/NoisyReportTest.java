package be.audiencematch.audience;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reports with noise against differencing switched on (audience-match.privacy.noise). */
@QuarkusTest
@TestProfile(NoisyReportTest.WithNoise.class)
@WithTestResource(TestEnvironment.class)
class NoisyReportTest {

    public static class WithNoise implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("audience-match.privacy.noise", "20");
        }
    }

    @Test
    void aQuestionAskedAgainGetsTheSameAnswerAndNearIdenticalListsGetIndependentOnes() {
        int from = range(600);
        loadSubscribers(from, 600, i -> true, i -> false, i -> false);
        putSegment("noise-seg-a", "tv", emails(from, 600));
        putSegment("noise-seg-b", "tv", emails(from, 600));
        // Ten audiences of the same 500 consenting subscribers: ten different questions with the same exact answer.
        Set<Integer> answers = new HashSet<>();
        for (int a = 0; a < 10; a++) {
            String audience = createAudience("noisy", "tv");
            upload("noisy", audience, emails(from, 500)).then().statusCode(200);
            Response report = advertiser("noisy").get("/v1/audiences/" + audience + "?segments=noise-seg-a,noise-seg-b");
            report.then().statusCode(200);
            assertEquals(20.0f, (Float) report.path("noise_scale"));
            Integer matched = report.path("matched");
            answers.add(matched);
            assertTrue(matched % 10 == 0, "still rounded down to 10: " + matched);
            for (int again = 0; again < 3; again++) {
                // The same question, segments in another order or repeated: the same draw, nothing to average.
                assertEquals(matched, (Integer) advertiser("noisy")
                        .get("/v1/audiences/" + audience + "?segments=noise-seg-b,noise-seg-a,noise-seg-b")
                        .path("matched"));
            }
        }
        // With a scale of 20, ten independent draws of a rounded 500 ± noise all landing on one value: under 1e-5.
        assertTrue(answers.size() > 1, "independent draws for different audiences: " + answers);
    }
}
