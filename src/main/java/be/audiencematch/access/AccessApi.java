package be.audiencematch.access;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.Map;

/** The JSON shapes of the right-of-access answer (docs/privacy.md, "Right of access"). */
public final class AccessApi {

    private AccessApi() {
    }

    @Schema(description = "What the service holds on one subscriber: kinds of data, never identifier values")
    public record SubscriberHeld(
            @JsonProperty("subscriber_id") String subscriberId,
            @JsonProperty("identifier_types") @Schema(description = "Types of hashed identifiers held (not values)",
                    enumeration = {"email_sha256", "phone_sha256"}) List<String> identifierTypes,
            @JsonProperty("household_id") @Schema(nullable = true) String householdId,
            @Schema(description = "Per purpose (tv, web, ads_and_data): granted now, and when it last changed")
            Map<String, ConsentHeld> consents,
            @Schema(description = "Segments the subscriber is a member of") List<String> segments,
            @Schema(description = "How many advertiser audiences include the subscriber") long audiences,
            @Schema(description = "How many campaigns target those audiences") long campaigns,
            @Schema(description = "Export cursors still kept whose export included the subscriber")
            List<Exported> exports) {
    }

    public record ConsentHeld(
            boolean granted,
            @JsonProperty("changed_at") @Schema(description = "ISO instant of the last change; null when not known "
                    + "(a subscriber created before change times were kept)", nullable = true) String changedAt) {
    }

    public record Exported(
            String segment,
            @JsonProperty("key_version") @Schema(description = "The pseudonym key version of that export")
            String keyVersion,
            @JsonProperty("exported_at") String exportedAt) {
    }
}
