package be.audiencematch.kernel;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.junit.main.Launch;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real service, in the prod profile, with a threshold under the policy's floor and a negative limit: it does not
 * start (exit code 1), and says which settings, by variable and key, before anything else (ConfigCheck).
 */
@QuarkusMainTest
@TestProfile(BadSettingStopsStartTest.BadSettings.class)
class BadSettingStopsStartTest {

    public static class BadSettings implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "prod";
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("audience-match.privacy.threshold", "5",
                    "audience-match.limits.line-length", "-1",
                    // Nothing should listen, but if it did, never on a port another test run holds.
                    "quarkus.http.port", "0",
                    "quarkus.management.port", "0");
        }
    }

    @Test
    @Launch(value = {}, exitCode = 1)
    void aBadValueStopsTheStartNamingItsVariable(LaunchResult result) {
        String said = result.getOutput() + "\n" + result.getErrorOutput();
        assertTrue(said.contains("Audience Match cannot start: 2 settings are invalid"), said);
        // Set by key here, not through AUDIENCE_MATCH_THRESHOLD, so named by the key's canonical variable.
        assertTrue(said.contains("AUDIENCE_MATCH_PRIVACY_THRESHOLD (audience-match.privacy.threshold) = \"5\": must "
                + "be at least 10 in production"), said);
        assertTrue(said.contains("AUDIENCE_MATCH_LIMITS_LINE_LENGTH (audience-match.limits.line-length) = \"-1\""),
                said);
    }
}
