package be.audiencematch.campaign;

import be.audiencematch.audience.Audience;
import be.audiencematch.audience.AudienceService;
import be.audiencematch.campaign.CampaignApi.CampaignView;
import be.audiencematch.campaign.CampaignApi.CreateCampaign;
import be.audiencematch.campaign.CampaignApi.Reach;
import be.audiencematch.kernel.Limits;
import be.audiencematch.kernel.OperatorIds;
import be.audiencematch.kernel.PrivacyConfig;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.kernel.RandomIds;
import be.audiencematch.privacy.AggregateDisclosure;
import be.audiencematch.privacy.Question;
import be.audiencematch.segment.Segment;
import be.audiencematch.segment.SegmentStore;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/** Campaigns: an advertiser's own audience, its own channel's segments, a time window inside the audience's life. */
@ApplicationScoped
public class CampaignService {

    /** The audit trail (docs/privacy.md, "Audit trail"). */
    @jakarta.inject.Inject
    be.audiencematch.audit.AuditLog audit;


    @Inject
    Limits limits;
    private final CampaignStore store;
    private final AudienceService audiences;
    private final SegmentStore segments;
    private final AggregateDisclosure disclosure;
    private final int maxCampaigns;
    /** Excluded audiences a campaign may name: each is one more bitmap on the ad server's hot path. */
    private static final int MAX_EXCLUDED = 10;

    public CampaignService(CampaignStore store, AudienceService audiences, SegmentStore segments,
                           AggregateDisclosure disclosure, PrivacyConfig privacy) {
        this.store = store;
        this.audiences = audiences;
        this.segments = segments;
        this.disclosure = disclosure;
        this.maxCampaigns = privacy.maxCampaigns();
    }

    public Uni<Campaign> create(String advertiser, CreateCampaign request) {
        if (request == null) {
            throw ProblemException.badRequest("a JSON body is required");
        }
        if (request.audienceId() == null || request.audienceId().isBlank()) {
            throw ProblemException.badRequest("field 'audience_id' is required");
        }
        Instant starts = instant(request.startsAt(), "starts_at");
        Instant ends = instant(request.endsAt(), "ends_at");
        if (!ends.isAfter(starts)) {
            throw ProblemException.badRequest("field 'ends_at' must be after 'starts_at'");
        }
        List<String> segmentIds = request.segments() == null ? List.of()
                : List.copyOf(new LinkedHashSet<>(request.segments()));
        if (segmentIds.size() > limits.segmentsPerQuery()) {
            throw ProblemException.badRequest("field 'segments' names more than " + limits.segmentsPerQuery() + " segments");
        }
        for (int i = 0; i < segmentIds.size(); i++) {
            String id = segmentIds.get(i);
            if (id == null || !OperatorIds.SEGMENT_ID.matcher(id).matches()) {
                throw ProblemException.badRequest("field 'segments[" + i + "]' is not a segment id");
            }
        }
        List<String> excluded = request.excludeAudienceIds() == null ? List.of()
                : List.copyOf(new LinkedHashSet<>(request.excludeAudienceIds()));
        if (excluded.size() > MAX_EXCLUDED) {
            throw ProblemException.badRequest("field 'exclude_audience_ids' names more than " + MAX_EXCLUDED
                    + " audiences");
        }
        for (int i = 0; i < excluded.size(); i++) {
            if (excluded.get(i) == null || excluded.get(i).equals(request.audienceId())) {
                throw ProblemException.badRequest("field 'exclude_audience_ids[" + i + "]' names no other audience of "
                        + "yours");
            }
        }
        return store.listOf(advertiser).invoke(live -> {
            if (live.size() >= maxCampaigns) {
                throw ProblemException.conflict("an advertiser may hold at most " + maxCampaigns
                        + " live campaigns; delete one first");
            }
        }).flatMap(live -> audiences.find(advertiser, request.audienceId())
                .onFailure(ProblemException.class).transform(e -> ProblemException.badRequest(
                        "field 'audience_id' names no audience of yours")))
                .call(audience -> checkExcluded(advertiser, excluded))
                .flatMap(audience -> checkSegments(audience, segmentIds).flatMap(ok -> {
                    if (!starts.isBefore(audience.expiresAt())) {
                        throw ProblemException.badRequest("field 'starts_at' is after the audience expires");
                    }
                    // A campaign ends no later than its audience expires.
                    Instant end = ends.isAfter(audience.expiresAt()) ? audience.expiresAt() : ends;
                    Campaign campaign = new Campaign(RandomIds.next("cmp_"), advertiser, audience.id(), audience.channel(), segmentIds,
                            starts, end, Instant.now().truncatedTo(ChronoUnit.SECONDS), excluded);
                    return store.create(campaign, audience.expiresAt())
                            .call(() -> audit.record("campaign.created", java.util.Map.of("advertiser", advertiser,
                                    "campaign", campaign.id(), "audience", audience.id())))
                            .replaceWith(campaign);
                }));
    }

    /** Every excluded audience is the advertiser's own (the same answer for another's and for none). */
    private Uni<Void> checkExcluded(String advertiser, List<String> excluded) {
        if (excluded.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Audience>> lookups = new java.util.ArrayList<>();
        for (int i = 0; i < excluded.size(); i++) {
            int index = i;
            lookups.add(audiences.find(advertiser, excluded.get(i)).onFailure(ProblemException.class)
                    .transform(e -> ProblemException.badRequest("field 'exclude_audience_ids[" + index
                            + "]' names no other audience of yours")));
        }
        return Uni.join().all(lookups).andFailFast().replaceWithVoid();
    }

    private Uni<Boolean> checkSegments(Audience audience, List<String> segmentIds) {
        if (segmentIds.isEmpty()) {
            return Uni.createFrom().item(true);
        }
        List<Uni<Optional<Segment>>> lookups = segmentIds.stream().map(segments::find).toList();
        return Uni.join().all(lookups).andFailFast().map(found -> {
            for (int i = 0; i < found.size(); i++) {
                int index = i;
                // One answer whether the segment is missing or of another channel (as AudienceService.report).
                found.get(i).filter(s -> s.channel() == audience.channel())
                        .orElseThrow(() -> ProblemException.badRequest(
                                "field 'segments[" + index + "]' names no segment of the audience's channel"));
            }
            return true;
        });
    }

    public Uni<Campaign> find(String advertiser, String id) {
        return store.find(id).map(found -> found.filter(c -> c.advertiser().equals(advertiser))
                .orElseThrow(() -> ProblemException.notFound("no campaign with that id")));
    }

    /**
     * The campaign with its reach. The reach is a new question for the privacy budget whenever the audience's
     * version moved (an upload to it), as reports are (docs/privacy.md, "What makes a question new").
     */
    public Uni<CampaignView> view(String advertiser, String id) {
        return find(advertiser, id).flatMap(c -> audiences.find(advertiser, c.audienceId())
                .map(Audience::version).onFailure(ProblemException.class).recoverWithItem(-1L)
                .flatMap(version -> store.householdReach(c)
                        .flatMap(exact -> disclosure.disclose(advertiser, Question.campaign(c.id(), version), exact)))
                .map(shown -> view(c, Reach.of(shown))));
    }

    public Uni<List<Campaign>> list(String advertiser) {
        return store.listOf(advertiser);
    }

    public Uni<Void> delete(String advertiser, String id) {
        return find(advertiser, id).flatMap(store::delete)
                .call(() -> audit.record("campaign.deleted", java.util.Map.of("advertiser", advertiser, "campaign", id)));
    }

    public static CampaignView view(Campaign c, Reach reach) {
        return new CampaignView(c.id(), c.audienceId(), c.channel().wireName(), c.segments(), c.startsAt().toString(),
                c.endsAt().toString(), c.status(Instant.now()), reach, c.excludedAudienceIds());
    }

    private static Instant instant(String value, String field) {
        if (value == null) {
            throw ProblemException.badRequest("field '" + field + "' is required (ISO-8601 instant)");
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw ProblemException.badRequest("field '" + field + "' is not an ISO-8601 instant");
        }
    }

}
