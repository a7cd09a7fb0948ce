package be.audiencematch.privacy;

import be.audiencematch.audit.AuditLog;
import be.audiencematch.kernel.Epsilon;
import be.audiencematch.kernel.PrivacyConfig;
import be.audiencematch.kernel.ProblemException;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The only code that turns an exact count into what an advertiser may see ("Gebruik van anonieme gegevens voor
 * rapporteringsdiensten": reports must not identify anyone; repeated or overlapping queries must not reveal a
 * person). By default every count gets discrete Laplace noise of scale 1/ε ({@link DiscreteLaplace}), paid from the
 * advertiser's budget ({@link PrivacyLedger}); a question asked again within the answer period gets the very same
 * answer at no cost. The threshold then applies to the noised count, then the rounding: both are post-processing,
 * so the guarantee is the noise's (docs/privacy.md). {@code AUDIENCE_MATCH_DP_EPSILON=off} gives exact counts before
 * the threshold and rounding, with a warning at start.
 */
@ApplicationScoped
public class AggregateDisclosure {

    private static final Logger LOG = Logger.getLogger(AggregateDisclosure.class);
    public static final String NOISE = "discrete_laplace";

    /** How an answer was paid for: absent when differential privacy is off. */
    public record Privacy(String noise, double epsilon, double budgetRemaining, boolean fresh) {
    }

    /** What may be shown: {@code count} is null when suppressed. */
    public record Disclosed(Long count, boolean belowThreshold, long threshold, long roundedTo, Privacy privacy) {
    }

    /** An advertiser's budget now; {@code refillAt} as in {@link PrivacyLedger.Entry}. */
    public record Budget(Epsilon epsilon, double budget, double remaining, Duration window, Instant refillAt) {
    }

    private final long threshold;
    private final long roundedTo;
    /** Null when off. */
    private final Epsilon epsilon;
    private final long budgetMicros;
    private final long windowMs;
    private final long periodMs;
    private final Duration window;
    private final PrivacyLedger ledger;
    private final AuditLog audit;
    private final DiscreteLaplace noise;

    public AggregateDisclosure(PrivacyConfig config, PrivacyLedger ledger, AuditLog audit) {
        if (config.threshold() < 1 || config.roundedTo() < 1) {
            throw new IllegalArgumentException("AUDIENCE_MATCH_THRESHOLD and AUDIENCE_MATCH_ROUNDED_TO must be at least 1");
        }
        this.threshold = config.threshold();
        this.roundedTo = config.roundedTo();
        this.epsilon = "off".equalsIgnoreCase(config.epsilon().strip()) ? null
                : Epsilon.parse(config.epsilon(), "AUDIENCE_MATCH_DP_EPSILON");
        this.budgetMicros = parseBudget(config.budget());
        if (epsilon != null && budgetMicros < epsilon.micros()) {
            throw new IllegalArgumentException("AUDIENCE_MATCH_DP_BUDGET must be at least AUDIENCE_MATCH_DP_EPSILON");
        }
        this.window = config.budgetWindow();
        this.windowMs = config.budgetWindow().toMillis();
        this.periodMs = config.answerPeriod().toMillis();
        if (windowMs < 1 || periodMs < 1) {
            throw new IllegalArgumentException("the privacy budget window and answer period must be positive");
        }
        this.ledger = ledger;
        this.audit = audit;
        this.noise = epsilon == null ? null : DiscreteLaplace.forEpsilon(epsilon, new SecureRandom());
    }

    void warnWhenOff(@Observes StartupEvent started) {
        if (epsilon == null) {
            LOG.warn("differential privacy is off (AUDIENCE_MATCH_DP_EPSILON=off): advertisers see exact counts "
                    + "before the threshold and rounding, and can difference one person in or out (docs/privacy.md)");
        }
    }

    /**
     * The answer to {@code question} for {@code advertiser}: repeated, fresh (ε spent) or refused with 429 when the
     * budget is spent. Every answer is audited.
     */
    public Uni<Disclosed> disclose(String advertiser, Question question, long exact) {
        if (epsilon == null) {
            Disclosed shown = shown(exact, null);
            return audited(advertiser, question, shown, "exact").replaceWith(shown);
        }
        // Drawn whether or not it is used, so that nothing about the question changes how the call runs.
        long candidate = Math.max(0, exact + noise.sample());
        return ledger.ask(advertiser, question.canonical(), candidate, epsilon.micros(), budgetMicros, windowMs, periodMs)
                .flatMap(entry -> {
                    if (entry.state() == PrivacyLedger.State.REFUSED) {
                        return audited(advertiser, question, null, "budget_spent")
                                .flatMap(done -> Uni.createFrom().<Disclosed>failure(budgetSpent(entry)));
                    }
                    boolean fresh = entry.state() == PrivacyLedger.State.FRESH;
                    Disclosed shown = shown(entry.answer(), new Privacy(NOISE, epsilon.value(),
                            micros(entry.remainingMicros()), fresh));
                    return audited(advertiser, question, shown, fresh ? "fresh" : "cached").replaceWith(shown);
                });
    }

    /** Threshold and rounding without noise or budget: Ads & Data's segment sizes (pseudonymous by design). */
    public Disclosed withoutNoise(long exact) {
        return shown(exact, null);
    }

    /** The advertiser's budget, spending nothing; null when differential privacy is off. */
    public Uni<Budget> budget(String advertiser) {
        if (epsilon == null) {
            return Uni.createFrom().nullItem();
        }
        return ledger.peek(advertiser, epsilon.micros(), budgetMicros, windowMs).map(entry -> new Budget(epsilon,
                micros(budgetMicros), micros(entry.remainingMicros()), window, entry.refillAt()));
    }

    private Disclosed shown(long count, Privacy privacy) {
        // With a threshold of 1 the only count under it is 0, which withholding would not hide: it is shown as 0
        // (docs/privacy.md, "The mechanism").
        if (count < threshold && threshold > 1) {
            return new Disclosed(null, true, threshold, roundedTo, privacy);
        }
        return new Disclosed(count / roundedTo * roundedTo, false, threshold, roundedTo, privacy);
    }

    private Uni<Void> audited(String advertiser, Question question, Disclosed shown, String source) {
        String answer = shown == null ? "refused" : shown.belowThreshold() ? "suppressed" : shown.count().toString();
        String spent = "fresh".equals(source) ? BigDecimal.valueOf(epsilon.value()).toPlainString() : "0";
        return audit.record("question", Map.of("advertiser", advertiser, "target", question.target(),
                "segments", String.join(",", question.segments()), "epsilon", spent, "answer", answer,
                "source", source));
    }

    private ProblemException budgetSpent(PrivacyLedger.Entry entry) {
        Instant refill = entry.refillAt() == null ? Instant.now().plus(window) : entry.refillAt();
        long seconds = Math.max(1, Duration.between(Instant.now(), refill).toSeconds() + 1);
        return ProblemException.tooManyRequests("the privacy budget of " + micros(budgetMicros) + " ε over "
                + window.toDays() + " days is spent (" + micros(entry.remainingMicros()) + " left, a new question "
                + "costs " + epsilon.value() + "); it allows one more from " + refill
                + ". Questions already asked are answered again at no cost.", seconds);
    }

    private static double micros(long micros) {
        return micros / (double) Epsilon.MICROS;
    }

    private static long parseBudget(String text) {
        try {
            BigDecimal value = new BigDecimal(text.strip());
            if (value.signum() <= 0 || value.scale() > 6) {
                throw new NumberFormatException();
            }
            return value.movePointRight(6).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("AUDIENCE_MATCH_DP_BUDGET must be a positive decimal such as 10");
        }
    }
}
