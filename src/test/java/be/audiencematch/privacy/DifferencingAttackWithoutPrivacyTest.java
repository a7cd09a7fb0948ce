package be.audiencematch.privacy;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same attacks with differential privacy off (AUDIENCE_MATCH_DP_EPSILON=off, as TestEnvironment sets): each
 * beats the bound that the default would allow for the same questions, which is what makes the defended run's
 * assertion meaningful.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class DifferencingAttackWithoutPrivacyTest extends DifferencingAttacks {

    @Override
    void judge(String attack, Attacker.Outcome outcome) {
        System.out.println(getClass().getSimpleName() + " " + attack + ": " + outcome);
        assertTrue(!outcome.withinBound() && outcome.accuracy() > 0.95, attack + " should succeed: " + outcome);
    }
}
