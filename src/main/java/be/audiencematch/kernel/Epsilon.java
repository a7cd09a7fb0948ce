package be.audiencematch.kernel;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * ε of one fresh answer as an exact fraction {@code numerator / denominator}, so the sampler's scale (1/ε) stays a
 * ratio of integers. Parsed from a decimal such as {@code 0.5}; at most six decimals.
 */
public record Epsilon(long numerator, long denominator) {

    /** Budget accounting counts ε in millionths, exactly. */
    public static final long MICROS = 1_000_000L;

    public Epsilon {
        if (numerator < 1 || denominator < 1) {
            throw new IllegalArgumentException("ε must be positive");
        }
    }

    /** A positive decimal with at most six decimals, e.g. "0.5"; anything else is refused with the variable's name. */
    public static Epsilon parse(String text, String variable) {
        BigDecimal value;
        try {
            value = new BigDecimal(text.strip()).stripTrailingZeros();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(variable + " must be 'off' or a positive decimal such as 0.5");
        }
        if (value.signum() <= 0 || value.scale() > 6 || value.compareTo(BigDecimal.valueOf(100)) > 0) {
            throw new IllegalArgumentException(variable + " must be 'off' or a decimal in (0, 100] with at most six "
                    + "decimals");
        }
        BigInteger num = value.scale() <= 0 ? value.toBigIntegerExact() : value.unscaledValue();
        BigInteger den = value.scale() <= 0 ? BigInteger.ONE : BigInteger.TEN.pow(value.scale());
        BigInteger gcd = num.gcd(den);
        return new Epsilon(num.divide(gcd).longValueExact(), den.divide(gcd).longValueExact());
    }

    public double value() {
        return (double) numerator / denominator;
    }

    /** ε in millionths (exact: at most six decimals). */
    public long micros() {
        return numerator * MICROS / denominator;
    }
}
