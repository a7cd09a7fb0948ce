package be.audiencematch.eligibility;

import be.audiencematch.campaign.CampaignStore;
import be.audiencematch.consent.SubscriberValidation;
import be.audiencematch.eligibility.EligibilityApi.Answer;
import be.audiencematch.kernel.ProblemException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The hot path: one Redis round trip per answer, nothing cached, so a withdrawal, an erasure or a campaign deletion
 * acknowledged before the question is always reflected in the answer. Never blocks.
 */
@ApplicationScoped
public class EligibilityService {

    public static final int MAX_CANDIDATES = 100;

    private final CampaignStore campaigns;
    private final Timer timer;

    public EligibilityService(CampaignStore campaigns, MeterRegistry metrics) {
        this.campaigns = campaigns;
        this.timer = metrics.timer("audience_match_eligibility_seconds");
    }

    public Uni<Answer> eligible(String householdId, List<String> candidates) {
        if (!SubscriberValidation.isId(householdId)) {
            throw ProblemException.badRequest("field 'household_id' must be 1-128 characters of A-Z a-z 0-9 . _ : -");
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
    static boolean isCampaignId(String id) {
        return id != null && id.length() <= 64 && SubscriberValidation.allOf(id, "_-");
    }

    /** Every active campaign the household is eligible for. */
    public Uni<Answer> allEligible(String householdId) {
        if (!SubscriberValidation.isId(householdId)) {
            throw ProblemException.badRequest("path 'householdId' must be 1-128 characters of A-Z a-z 0-9 . _ : -");
        }
        return timed(householdId, List.of());
    }

    private Uni<Answer> timed(String householdId, List<String> candidates) {
        long started = System.nanoTime();
        return campaigns.eligible(householdId, candidates, Instant.now()).map(ids -> {
            timer.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            return new Answer(householdId, ids);
        });
    }
}
