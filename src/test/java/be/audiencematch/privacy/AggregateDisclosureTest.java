package be.audiencematch.privacy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AggregateDisclosureTest {

    private static final byte[] SECRET = "a pseudonym key the advertiser never sees".getBytes(StandardCharsets.UTF_8);

    private static AggregateDisclosure exact() {
        return new AggregateDisclosure(100, 10, 0, () -> {
            throw new AssertionError("no key is needed without noise");
        });
    }

    private static AggregateDisclosure noisy(double scale, byte[] secret) {
        return new AggregateDisclosure(100, 10, scale, () -> secret);
    }

    @Test
    void withoutNoiseCountsAreSuppressedUnderTheThresholdAndRoundedDown() {
        AggregateDisclosure disclosure = exact();
        assertNull(disclosure.disclose(99, "q").count());
        assertTrue(disclosure.disclose(99, "q").belowThreshold());
        assertEquals(100L, disclosure.disclose(100, "q").count());
        assertEquals(1230L, disclosure.disclose(1239, "q").count());
        assertNull(disclosure.disclose(1239, "q").noiseScale());
    }

    @Test
    void theSameQuestionWithTheSameAnswerAlwaysGetsTheSameNoise() {
        AggregateDisclosure disclosure = noisy(5, SECRET);
        Set<Long> shown = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            shown.add(disclosure.disclose(1_234, "audience\nA\nseg-1").count());
        }
        assertEquals(1, shown.size(), "asking again must not give a new draw to average");
        assertEquals(5.0, disclosure.disclose(1_234, "audience\nA\nseg-1").noiseScale());
    }

    @Test
    void noiseIsLaplaceOfTheConfiguredScaleAndDependsOnTheKey() {
        ReportNoise noise = new ReportNoise(SECRET, 5);
        ReportNoise otherKey = new ReportNoise("another key".getBytes(StandardCharsets.UTF_8), 5);
        int n = 20_000;
        double sum = 0;
        double absolute = 0;
        int sameUnderOtherKey = 0;
        for (int i = 0; i < n; i++) {
            long draw = noise.draw("audience\n" + i + "\n", 1_000);
            sum += draw;
            absolute += Math.abs(draw);
            if (draw == otherKey.draw("audience\n" + i + "\n", 1_000)) {
                sameUnderOtherKey++;
            }
        }
        // Laplace(0, b): mean 0, mean absolute value b (standard errors here ~0.05 and ~0.035).
        assertEquals(0, sum / n, 0.3);
        assertEquals(5, absolute / n, 0.3);
        assertTrue(sameUnderOtherKey < n / 5, "the draws follow the key: " + sameUnderOtherKey + " equal");
    }

    @Test
    void twoListsOnePersonApartNoLongerTellWhetherThatPersonMatched() {
        // Without noise, 109 and 110 matches at the rounding boundary always show as 100 and 110: the one person
        // between two otherwise identical lists is revealed. With noise, per pair of lists (two questions), the
        // answers differ about as often for "the person matched" as for "the person did not".
        AggregateDisclosure none = exact();
        assertNotEquals(none.disclose(109, "A").count(), none.disclose(110, "B").count());

        AggregateDisclosure disclosure = noisy(5, SECRET);
        int pairs = 2_000;
        int differWhenMatched = 0;
        int differWhenNot = 0;
        for (int i = 0; i < pairs; i++) {
            Long without = disclosure.disclose(109, "audience\nwithout-" + i + "\n").count();
            if (!Objects.equals(without, disclosure.disclose(110, "audience\nwith-" + i + "\n").count())) {
                differWhenMatched++;
            }
            if (!Objects.equals(without, disclosure.disclose(109, "audience\nwith-" + i + "\n").count())) {
                differWhenNot++;
            }
        }
        double matched = (double) differWhenMatched / pairs;
        double not = (double) differWhenNot / pairs;
        assertTrue(matched < 0.9 && not > 0.5 && Math.abs(matched - not) < 0.1,
                "differ when matched " + matched + ", when not " + not);
    }

    @Test
    void theThresholdAppliesToTheNoisyCount() {
        AggregateDisclosure disclosure = noisy(5, SECRET);
        int suppressed = 0;
        for (int i = 0; i < 1_000; i++) {
            if (disclosure.disclose(100, "campaign\n" + i).belowThreshold()) {
                suppressed++;
            }
        }
        // A fixed exact boundary would be an oracle (exactly 100 shown, 99 not); here it is blurred both ways.
        assertTrue(suppressed > 250 && suppressed < 750, suppressed + " of 1000 suppressed");
    }

    @Test
    void aNegativeOrNonFiniteScaleIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> noisy(-1, SECRET));
        assertThrows(IllegalArgumentException.class, () -> noisy(Double.NaN, SECRET));
        assertThrows(IllegalArgumentException.class, () -> noisy(Double.POSITIVE_INFINITY, SECRET));
    }
}
