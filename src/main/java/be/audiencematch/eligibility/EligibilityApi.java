package be.audiencematch.eligibility;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** The ad server's questions and answers. */
public final class EligibilityApi {

    private EligibilityApi() {
    }

    @Schema(description = "Which of these campaigns may this household be shown?")
    public record Question(@JsonProperty("household_id") @Schema(example = "hh-1") String householdId,
                           @JsonProperty("campaign_ids") @Schema(example = "[\"cmp_a\",\"cmp_b\"]") List<String> campaignIds) {
    }

    @Schema(description = "The eligible campaigns, in the order asked; unknown ids are simply not eligible")
    public record Answer(@JsonProperty("household_id") String householdId, List<String> eligible) {
    }
}
