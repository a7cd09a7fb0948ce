package be.audiencematch.privacy;

import be.audiencematch.kernel.Epsilon;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sampler against the exact discrete Laplace pmf, P[z] = (1 - q) / (1 + q) · q^|z| with q = exp(-1/scale):
 * a chi-square goodness-of-fit test, the mean and the variance 2q / (1 - q)², at several scales. Seeded, so a run is
 * repeatable; a sampler off by a fraction of a percent in any bin fails.
 */
class DiscreteLaplaceTest {

    private static final int DRAWS = 200_000;

    @ParameterizedTest(name = "ε = {0}/{1}")
    @CsvSource({"1, 2", "1, 1", "2, 1", "1, 10", "3, 7"})
    void drawsFollowTheExactPmf(long s, long t) {
        DiscreteLaplace sampler = new DiscreteLaplace(s, t, new SplittableRandom(20201220L + s * 31 + t));
        double scale = (double) t / s;
        double q = Math.exp(-1 / scale);
        int range = (int) Math.ceil(scale * 12) + 2;
        long[] observed = new long[2 * range + 1];
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < DRAWS; i++) {
            long z = sampler.sample();
            sum += z;
            squares += (double) z * z;
            int bin = (int) Math.max(-range, Math.min(range, z)) + range;
            observed[bin]++;
        }
        // Bins from -range to range, the outermost two holding their whole tails; merged until each expects >= 5.
        double chi = 0;
        int df = -1;
        double expectedRun = 0;
        long observedRun = 0;
        for (int z = -range; z <= range; z++) {
            double p = Math.abs(z) == range ? tail(q, range) : pmf(q, z);
            expectedRun += p * DRAWS;
            observedRun += observed[z + range];
            if (expectedRun >= 5 && (z == range || remainingExpectation(q, z + 1, range) >= 5)) {
                chi += Math.pow(observedRun - expectedRun, 2) / expectedRun;
                df++;
                expectedRun = 0;
                observedRun = 0;
            }
        }
        assertTrue(df >= 1, "bins: " + df);
        assertTrue(chi < chiSquareCritical(df), "chi-square " + chi + " with " + df + " degrees of freedom");

        double mean = sum / DRAWS;
        double variance = squares / DRAWS - mean * mean;
        double expectedVariance = 2 * q / Math.pow(1 - q, 2);
        // Four standard errors of the mean; the variance within 3 %.
        assertEquals(0, mean, 4 * Math.sqrt(expectedVariance / DRAWS), "mean");
        assertEquals(expectedVariance, variance, 0.03 * expectedVariance, "variance");
    }

    @Test
    void bernoulliOfExpMatchesItsProbability() {
        DiscreteLaplace sampler = new DiscreteLaplace(1, 1, new SplittableRandom(7));
        for (long[] gamma : new long[][] {{0, 1}, {1, 3}, {1, 1}, {5, 2}}) {
            int hits = 0;
            for (int i = 0; i < DRAWS; i++) {
                if (sampler.bernoulliExp(gamma[0], gamma[1])) {
                    hits++;
                }
            }
            double p = Math.exp(-(double) gamma[0] / gamma[1]);
            assertEquals(p, hits / (double) DRAWS, 4 * Math.sqrt(p * (1 - p) / DRAWS) + 1e-9,
                    "exp(-" + gamma[0] + "/" + gamma[1] + ")");
        }
    }

    @Test
    void epsilonIsAnExactFraction() {
        assertEquals(new Epsilon(1, 2), Epsilon.parse("0.5", "X"));
        assertEquals(new Epsilon(1, 4), Epsilon.parse("0.250", "X"));
        assertEquals(new Epsilon(3, 1), Epsilon.parse("3", "X"));
        assertEquals(500_000, Epsilon.parse("0.5", "X").micros());
        for (String bad : new String[] {"0", "-1", "0.0000001", "abc", "1e400", "NaN"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Epsilon.parse(bad, "AUDIENCE_MATCH_DP_EPSILON"));
            assertTrue(e.getMessage().contains("AUDIENCE_MATCH_DP_EPSILON"), e.getMessage());
        }
    }

    private static double pmf(double q, long z) {
        return (1 - q) / (1 + q) * Math.pow(q, Math.abs(z));
    }

    /** P[Z >= k] (= P[Z <= -k]) for k >= 1. */
    private static double tail(double q, long k) {
        return (1 - q) / (1 + q) * Math.pow(q, k) / (1 - q);
    }

    private static double remainingExpectation(double q, int from, int range) {
        double p = 0;
        for (int z = from; z <= range; z++) {
            p += Math.abs(z) == range ? tail(q, range) : pmf(q, z);
        }
        return p * DRAWS;
    }

    /** The 0.999 quantile of chi-square (Wilson–Hilferty). */
    private static double chiSquareCritical(int df) {
        double z = 3.090;
        double a = 2.0 / (9 * df);
        return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
    }
}
