package be.audiencematch.privacy;

import be.audiencematch.kernel.Epsilon;
import java.util.random.RandomGenerator;

/**
 * An exact sampler of the discrete Laplace (two-sided geometric) distribution, P[Z = z] ∝ exp(-|z| / scale), with
 * integer arithmetic only: Canonne, Kamath &amp; Steinke, "The Discrete Gaussian for Differential Privacy" (2020),
 * algorithms 1 and 2. No floating-point uniform passes through {@code Math.log}, so the output has none of the
 * gaps and biases that Mironov (2012) showed leak through floating-point Laplace noise (docs/privacy.md,
 * "The mechanism").
 *
 * <p>The scale is the rational {@code t / s}; for ε-differential privacy of a count (sensitivity 1) the scale is
 * 1/ε, so ε = s/t. Every random choice is a uniform integer from {@code random}, which must be a cryptographically
 * strong generator in the service ({@link java.security.SecureRandom}); tests pass a seeded one.
 */
public final class DiscreteLaplace {

    private final long s;
    private final long t;
    private final RandomGenerator random;

    /** Scale {@code t / s}: both at least 1. */
    public DiscreteLaplace(long s, long t, RandomGenerator random) {
        if (s < 1 || t < 1) {
            throw new IllegalArgumentException("the scale t/s needs s >= 1 and t >= 1");
        }
        this.s = s;
        this.t = t;
        this.random = random;
    }

    /** For ε-differential privacy of a sensitivity-1 count: scale 1/ε. */
    public static DiscreteLaplace forEpsilon(Epsilon epsilon, RandomGenerator random) {
        return new DiscreteLaplace(epsilon.numerator(), epsilon.denominator(), random);
    }

    /** One draw (algorithm 2). */
    public long sample() {
        while (true) {
            long u = random.nextLong(t);
            if (!bernoulliExp(u, t)) {
                continue;
            }
            long v = 0;
            while (bernoulliExp(1, 1)) {
                v++;
            }
            long x = u + t * v;
            long y = x / s;
            boolean negative = random.nextLong(2) == 1;
            if (negative && y == 0) {
                continue;
            }
            return negative ? -y : y;
        }
    }

    /** Bernoulli(exp(-n/d)) for n/d >= 0 (algorithm 1). */
    boolean bernoulliExp(long n, long d) {
        long whole = n / d;
        for (long i = 0; i < whole; i++) {
            if (!bernoulliExpAtMostOne(1, 1)) {
                return false;
            }
        }
        return bernoulliExpAtMostOne(n - whole * d, d);
    }

    /** Bernoulli(exp(-n/d)) for 0 <= n/d <= 1: the first K with Bernoulli(n/(dK)) false; true when K is odd. */
    private boolean bernoulliExpAtMostOne(long n, long d) {
        long k = 1;
        while (bernoulli(n, Math.multiplyExact(d, k))) {
            k++;
        }
        return (k & 1) == 1;
    }

    /** Bernoulli(n/d) for 0 <= n <= d. */
    private boolean bernoulli(long n, long d) {
        return random.nextLong(d) < n;
    }
}
