package be.audiencematch.consent;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** The JSON shapes of the subscriber feed. */
public final class SubscriberApi {

    private SubscriberApi() {
    }

    @Schema(description = "A hashed identifier: SHA-256 of the normalised value, 64 hex characters")
    public record Identifier(
            @Schema(enumeration = {"email_sha256", "phone_sha256"}, example = "email_sha256") String type,
            @Schema(example = "a9d8c5b1f3e1d7c4b2a0918f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a") String value) {
    }

    @Schema(description = "Consent per purpose; a purpose left out is false (fail closed)")
    public record ConsentFlags(Boolean tv, Boolean web, @JsonProperty("ads_and_data") Boolean adsAndData) {
    }

    @Schema(description = "A subscriber as the feed sends it")
    public record SubscriberBody(List<Identifier> identifiers,
                                 @JsonProperty("household_id") @Schema(example = "hh-1") String householdId,
                                 ConsentFlags consents) {
    }

    @Schema(description = "One line of a bulk NDJSON load")
    public record BulkLine(@JsonProperty("subscriber_id") String subscriberId, List<Identifier> identifiers,
                           @JsonProperty("household_id") String householdId, ConsentFlags consents) {
    }

    public record Upserted(boolean created) {
    }

    public record LineError(long line, String reason) {
    }

    public record BulkReport(long accepted, long rejected, List<LineError> errors) {
    }
}
