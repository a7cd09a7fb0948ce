package be.audiencematch.privacy;

import be.audiencematch.support.PrivacyDefaultsEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The attacks on the shipped configuration: no better than the ε each target cost allows. */
@QuarkusTest
@WithTestResource(PrivacyDefaultsEnvironment.class)
class DifferencingAttackTest extends DifferencingAttacks {

    @Override
    void judge(String attack, Attacker.Outcome outcome) {
        System.out.println(getClass().getSimpleName() + " " + attack + ": " + outcome);
        assertTrue(outcome.withinBound(), attack + ": " + outcome);
    }
}
