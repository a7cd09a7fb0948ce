package be.audiencematch.campaign;

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
                                 @JsonProperty("starts_at") @Schema(example = "2026-12-01T00:00:00Z") String startsAt,
                                 @JsonProperty("ends_at") @Schema(example = "2026-12-24T00:00:00Z") String endsAt) {
    }

    @Schema(description = "A campaign; reach counts households, under the same threshold and rounding as reports")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record CampaignView(String id, @JsonProperty("audience_id") String audienceId, String channel,
                               List<String> segments, @JsonProperty("starts_at") String startsAt,
                               @JsonProperty("ends_at") String endsAt, String status,
                               @JsonInclude(JsonInclude.Include.NON_NULL) Reach reach) {
    }

    @Schema(description = "Households with at least one targeted, consenting subscriber")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Reach(Long households, @JsonProperty("below_threshold") boolean belowThreshold, long threshold,
                        @JsonProperty("rounded_to") long roundedTo,
                        @JsonProperty("noise_scale") @JsonInclude(JsonInclude.Include.NON_NULL) Double noiseScale) {
    }
}
