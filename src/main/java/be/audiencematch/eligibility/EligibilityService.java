package be.audiencematch.eligibility;

import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.eligibility.EligibilityApi.Answer;
import be.audiencematch.identity.NationalRegisterNumber;
import be.audiencematch.kernel.OperatorIds;
import be.audiencematch.kernel.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The hot path. Answers from this replica's own view of consents, campaigns and households while that view is
 * confirmed current (no Redis round trip once the household is known), else from Redis in one script call. Either
 * way a withdrawal, an erasure or a campaign deletion acknowledged before the question is reflected in the answer
 * (see {@link ViewFollower}). Never blocks.
 */
@ApplicationScoped
public class EligibilityService {

    public static final int MAX_CANDIDATES = 100;

    private final CampaignStore campaigns;
    private final ViewFollower follower;
    private final SlowRedisGuard guard;
    private final Timer timer;
    private final Counter fromView;
    private final Counter fromRedis;

    public EligibilityService(CampaignStore campaigns, ViewFollower follower, SlowRedisGuard guard,
                              MeterRegistry metrics) {
        this.campaigns = campaigns;
        this.follower = follower;
        this.guard = guard;
        this.timer = metrics.timer("audience_match_eligibility_seconds");
        this.fromView = metrics.counter("audience_match_eligibility_answers_total", "source", "view");
        this.fromRedis = metrics.counter("audience_match_eligibility_answers_total", "source", "redis");
    }

    public Uni<Answer> eligible(String householdId, List<String> candidates) {
        if (!OperatorIds.isSubscriberOrHouseholdId(householdId)) {
            throw ProblemException.badRequest("field 'household_id' must be 1-128 characters of A-Z a-z 0-9 . _ : -");
        }
        if (NationalRegisterNumber.looksLikeOne(householdId)) {
            throw ProblemException.badRequest(NationalRegisterNumber.refusal("field 'household_id'"));
        }
        if (candidates == null || candidates.isEmpty()) {
            throw ProblemException.badRequest("field 'campaign_ids' needs 1 to " + MAX_CANDIDATES + " ids");
        }
        if (candidates.size() > MAX_CANDIDATES) {
            throw ProblemException.badRequest("field 'campaign_ids' holds more than " + MAX_CANDIDATES + " ids");
        }
        // Ids that cannot exist are simply not eligible: no error says which were unknown.
        LinkedHashSet<String> possible = new LinkedHashSet<>();
        for (String id : candidates) {
            if (isCampaignId(id)) {
                possible.add(id);
            }
        }
        List<String> asked = List.copyOf(possible);
        if (asked.isEmpty()) {
            return Uni.createFrom().item(new Answer(householdId, List.of()));
        }
        return timed(householdId, asked);
    }

    /** Campaign ids are 1-64 characters of A-Z a-z 0-9 _ - (checked without a regex: this runs per candidate). */
    /**
     * Looser than the minted form (RandomIds, which PathIds applies to /v1/campaigns/{id}) on purpose: a candidate
     * only looks up the view's rules, never names a Redis key, and an unknown id is simply not eligible; on the hot
     * path a character-class check of each candidate costs less than the alphabet look-up.
     */
    static boolean isCampaignId(String id) {
        return id != null && id.length() <= 64 && OperatorIds.allOf(id, "_-");
    }

    /** Every active campaign the household is eligible for. */
    public Uni<Answer> allEligible(String householdId) {
        if (!OperatorIds.isSubscriberOrHouseholdId(householdId)) {
            throw ProblemException.badRequest("path 'householdId' must be 1-128 characters of A-Z a-z 0-9 . _ : -");
        }
        return timed(householdId, List.of());
    }

    private Uni<Answer> timed(String householdId, List<String> candidates) {
        long started = System.nanoTime();
        Uni<List<String>> eligible;
        if (follower.serving()) {
            fromView.increment();
            EligibilityView view = follower.view();
            int[] known = view.household(householdId);
            if (known != null) {
                // The usual case: answered here and now, no Redis, no further step.
                List<String> ids = view.eligible(known, candidates, System.currentTimeMillis());
                timer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                return Uni.createFrom().item(new Answer(householdId, ids));
            }
            eligible = guard.eligible(() -> follower.household(householdId)
                    .map(members -> view.eligible(members, candidates, System.currentTimeMillis())));
        } else {
            fromRedis.increment();
            eligible = guard.eligible(() -> campaigns.eligible(householdId, candidates, Instant.now()));
        }
        return eligible.map(ids -> {
            timer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            return new Answer(householdId, ids);
        });
    }
}
