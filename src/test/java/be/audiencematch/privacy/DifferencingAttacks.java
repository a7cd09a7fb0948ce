package be.audiencematch.privacy;

import be.audiencematch.cli.SyntheticBase;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.IntPredicate;

import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.range;

/**
 * The three differencing attacks of issue 17 and docs/privacy.md ("Threat model"), played through the API by a group
 * of colluding advertisers against 40 targets each, half of them consenting subscribers. Each attack knows a list of
 * 200 customers who are consenting subscribers (the worst case: its base count is known) and asks, per target,
 * whether adding that person changes what it is shown. {@link DifferencingAttackTest} runs them on the shipped
 * configuration and requires the accuracy to stay within what the ε spent on each target allows;
 * {@link DifferencingAttackWithoutPrivacyTest} runs them with differential privacy off and requires them to beat
 * that bound, so these tests can fail.
 */
abstract class DifferencingAttacks {

    static final int TARGETS = 40;
    static final int BASE = 200;

    /** What the subclass requires of the outcome. */
    abstract void judge(String attack, Attacker.Outcome outcome);

    @Test
    void prefixAndStep() {
        World world = new World(1);
        Attacker attacker = new Attacker(12, TARGETS);
        Boundary boundary = boundary(world, attacker);
        for (int t = 0; t < TARGETS; t++) {
            long shown = probe(attacker, world.prefix(boundary.size()) + world.target(t), t);
            attacker.guess(t, shown > boundary.shown());
        }
        judge("prefix-and-step", attacker.outcome(world.truth));
    }

    @Test
    void sameAudienceAppend() {
        World world = new World(2);
        Attacker attacker = new Attacker(12, TARGETS);
        Boundary boundary = boundary(world, attacker);
        for (int t = 0; t < TARGETS; t++) {
            while (true) {
                String audience = attacker.audience(world.prefix(boundary.size()));
                Long before = attacker.shown(audience, -1);
                if (before == null) {
                    continue;
                }
                // Against noise keyed on the exact count, an unchanged count gives the identical answer again.
                attacker.append(audience, world.target(t));
                Long after = attacker.shown(audience, t);
                if (after == null) {
                    continue;
                }
                attacker.guess(t, !after.equals(before));
                attacker.delete(audience);
                break;
            }
        }
        judge("same-audience append", attacker.outcome(world.truth));
    }

    @Test
    void freshAudienceRepetition() {
        World world = new World(3);
        Attacker attacker = new Attacker(16, TARGETS);
        Boundary boundary = boundary(world, attacker);
        for (int t = 0; t < TARGETS; t++) {
            long difference = 0;
            // Two fresh pairs per target: as many as a month's budget of the group allows for 40 targets.
            for (int pair = 0; pair < 2; pair++) {
                long without = probe(attacker, world.prefix(boundary.size()), -1);
                long with = probe(attacker, world.prefix(boundary.size()) + world.target(t), t);
                difference += with - without;
            }
            attacker.guess(t, difference > 0);
        }
        judge("fresh-audience repetition", attacker.outcome(world.truth));
    }

    /** A prefix whose shown count sits one below a rounding step, found by bisection as the attack describes. */
    private static Boundary boundary(World world, Attacker attacker) {
        int low = 130;
        int high = 150;
        long atLow = probe(attacker, world.prefix(low), -1);
        while (high - low > 1) {
            int mid = (low + high) >>> 1;
            long shown = probe(attacker, world.prefix(mid), -1);
            if (shown > atLow) {
                high = mid;
            } else {
                low = mid;
                atLow = shown;
            }
        }
        return new Boundary(low, atLow);
    }

    /** A fresh audience of the current colluder holding {@code digests}, and what it is shown. */
    private static long probe(Attacker attacker, String digests, int target) {
        while (true) {
            String audience = attacker.audience(digests);
            Long shown = attacker.shown(audience, target);
            if (shown != null) {
                attacker.delete(audience);
                return shown;
            }
        }
    }

    private record Boundary(int size, long shown) {
    }

    /** The attacker's customers (consenting subscribers) and its targets, half of whom consent (the secret). */
    private static final class World {
        final int base;
        final int targets;
        final boolean[] truth = new boolean[TARGETS];

        World(long seed) {
            Random random = new Random(seed);
            for (int t = 0; t < TARGETS; t++) {
                truth[t] = random.nextBoolean();
            }
            base = range(BASE);
            loadSubscribers(base, BASE, i -> true, i -> false, i -> false);
            targets = range(TARGETS);
            IntPredicate consents = i -> truth[i - targets];
            loadSubscribers(targets, TARGETS, consents, i -> false, i -> false);
        }

        String prefix(int size) {
            return emails(base, size);
        }

        String target(int t) {
            return SyntheticBase.emailHash(targets + t) + "\n";
        }
    }
}
