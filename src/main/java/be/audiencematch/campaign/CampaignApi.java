package be.audiencematch.campaign;

import be.audiencematch.privacy.AggregateDisclosure;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** The JSON shapes of campaigns. */
public final class CampaignApi {

    private CampaignApi() {
    }

    @Schema(description = "A new campaign; times are ISO-8601 instants")
    public record CreateCampaign(@JsonProperty("audience_id") String audienceId,
                                 @Schema(example = "[\"football-fan\"]") List<String> segments,
                                 @JsonProperty("starts_at") @Schema(example = "2027-01-04T00:00:00Z") String startsAt,
                                 @JsonProperty("ends_at") @Schema(example = "2027-01-31T00:00:00Z") String endsAt,
                                 @JsonProperty("exclude_audience_ids")
                                 @Schema(description = "your audiences whose members this campaign never targets "
                                         + "(existing customers, say); at most 10. An excluded audience deleted or "
                                         + "expired later excludes nobody.", example = "[\"aud_…\"]")
                                 List<String> excludeAudienceIds) {
    }

    @Schema(description = "A campaign; reach counts households, under the same threshold and rounding as reports")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record CampaignView(String id, @JsonProperty("audience_id") String audienceId, String channel,
                               List<String> segments, @JsonProperty("starts_at") String startsAt,
                               @JsonProperty("ends_at") String endsAt, String status,
                               @JsonInclude(JsonInclude.Include.NON_NULL) Reach reach,
                               @JsonProperty("exclude_audience_ids") @JsonInclude(JsonInclude.Include.NON_EMPTY)
                               List<String> excludeAudienceIds) {
    }

    @Schema(description = "Households with at least one targeted, consenting subscriber; with differential "
            + "privacy on (the default) the count carries noise and costs epsilon like an audience report")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Reach(Long households, @JsonProperty("below_threshold") boolean belowThreshold, long threshold,
                        @JsonProperty("rounded_to") long roundedTo,
                        @Schema(enumeration = {"discrete_laplace"})
                        @JsonInclude(JsonInclude.Include.NON_NULL) String noise,
                        @JsonInclude(JsonInclude.Include.NON_NULL) Double epsilon,
                        @JsonProperty("budget_remaining") @JsonInclude(JsonInclude.Include.NON_NULL)
                        Double budgetRemaining,
                        @JsonInclude(JsonInclude.Include.NON_NULL) Boolean fresh) {

        static Reach of(AggregateDisclosure.Disclosed shown) {
            AggregateDisclosure.Privacy p = shown.privacy();
            return new Reach(shown.count(), shown.belowThreshold(), shown.threshold(), shown.roundedTo(),
                    p == null ? null : p.noise(), p == null ? null : p.epsilon(),
                    p == null ? null : p.budgetRemaining(), p == null ? null : p.fresh());
        }
    }
}
