package be.audiencematch.audience;

import be.audiencematch.privacy.AggregateDisclosure;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** The JSON shapes advertisers see. Counts only: nothing here can say who matched. */
public final class AudienceApi {

    private AudienceApi() {
    }

    @Schema(description = "A new audience")
    public record CreateAudience(
            @Schema(example = "Spring newsletter") String name,
            @JsonProperty("identifier_type") @Schema(enumeration = {"email_sha256", "phone_sha256"},
                    defaultValue = "email_sha256") String identifierType,
            @Schema(enumeration = {"tv", "web"}, example = "tv") String channel,
            @JsonProperty("ttl_days") @Schema(defaultValue = "30", minimum = "1",
                    description = "days the audience lives, 1 to the configured cap (audience-match.audience.max-ttl, "
                            + "396 by default: about 13 months)") Integer ttlDays,
            @JsonProperty("identifier_types") @Schema(description = "instead of identifier_type, for rows of several "
                    + "identifiers (text/csv uploads whose header names email_sha256 and phone_sha256 columns): "
                    + "a row matches when any of its identifiers does, and counts once",
                    example = "[\"email_sha256\", \"phone_sha256\"]") List<String> identifierTypes) {
    }

    @Schema(description = "An audience without its counts")
    public record AudienceSummary(String id, String name, String channel,
                                  @JsonProperty("identifier_type") String identifierType,
                                  @JsonProperty("created_at") String createdAt,
                                  @JsonProperty("expires_at") String expiresAt,
                                  @JsonProperty("identifier_types") List<String> identifierTypes) {
        static AudienceSummary of(Audience a) {
            return new AudienceSummary(a.id(), a.name(), a.channel().wireName(), wire(a.identifierType()),
                    a.createdAt().toString(), a.expiresAt().toString(), wire(a.identifierTypes()));
        }
    }

    @Schema(description = "The counts of one upload; invalid rows are given by line number only")
    public record UploadReport(long received, long valid, long invalid,
                               @JsonProperty("plaintext_rejected") long plaintextRejected,
                               @JsonProperty("invalid_lines") List<Long> invalidLines) {
    }

    @Schema(description = "The aggregate match report. 'matched' is null when below the threshold.")
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Report(String id, String name, String channel,
                         @JsonProperty("identifier_type") String identifierType,
                         long received, long valid, long invalid,
                         @JsonProperty("plaintext_rejected") long plaintextRejected,
                         @Schema(nullable = true, example = "1230") Long matched,
                         @JsonProperty("below_threshold") boolean belowThreshold,
                         long threshold,
                         @JsonProperty("rounded_to") long roundedTo,
                         @JsonProperty("expires_at") String expiresAt,
                         @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> segments,
                         @Schema(description = "\"discrete_laplace\": the count carries differential-privacy noise "
                                 + "of scale 1/epsilon, added before the threshold and rounding; absent when "
                                 + "differential privacy is off (AUDIENCE_MATCH_DP_EPSILON=off)",
                                 enumeration = {"discrete_laplace"})
                         @JsonInclude(JsonInclude.Include.NON_NULL) String noise,
                         @Schema(description = "epsilon of one fresh answer", example = "0.5")
                         @JsonInclude(JsonInclude.Include.NON_NULL) Double epsilon,
                         @Schema(description = "epsilon the advertiser has left in the rolling budget window, after "
                                 + "this answer", example = "9.5")
                         @JsonProperty("budget_remaining") @JsonInclude(JsonInclude.Include.NON_NULL)
                         Double budgetRemaining,
                         @Schema(description = "true when this answer spent epsilon; false when the same question "
                                 + "was asked before and is answered again at no cost")
                         @JsonInclude(JsonInclude.Include.NON_NULL) Boolean fresh,
                         @JsonProperty("identifier_types") List<String> identifierTypes) {

        /** The report of {@code a} with what privacy allowed to be shown. */
        static Report of(Audience a, List<String> segments, AggregateDisclosure.Disclosed shown) {
            AggregateDisclosure.Privacy p = shown.privacy();
            return new Report(a.id(), a.name(), a.channel().wireName(), wire(a.identifierType()), a.received(),
                    a.valid(), a.invalid(), a.plaintextRejected(), shown.count(), shown.belowThreshold(),
                    shown.threshold(), shown.roundedTo(), a.expiresAt().toString(), segments,
                    p == null ? null : p.noise(), p == null ? null : p.epsilon(),
                    p == null ? null : p.budgetRemaining(), p == null ? null : p.fresh(), wire(a.identifierTypes()));
        }
    }

    /** An audience's one identifier type, or null when it takes several (its identifier_types say which). */
    static List<String> wire(List<be.audiencematch.identity.IdentifierType> types) {
        return types.stream().map(be.audiencematch.identity.IdentifierType::wireName).toList();
    }

    static String wire(be.audiencematch.identity.IdentifierType type) {
        return type == null ? null : type.wireName();
    }
}
