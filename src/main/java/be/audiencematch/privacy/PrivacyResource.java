package be.audiencematch.privacy;

import be.audiencematch.security.Caller;
import be.audiencematch.security.Roles;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** An advertiser's own privacy budget: what is left and what the next fresh question costs. */
@Path("/v1/privacy/budget")
@RolesAllowed(Roles.ADVERTISER)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "privacy", description = "The advertiser's differential-privacy budget (role advertiser)")
public class PrivacyResource {

    @Schema(description = "The budget over a rolling window. noise is \"none\" (and nothing else is given) when "
            + "differential privacy is off.")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BudgetView(@Schema(enumeration = {"discrete_laplace", "none"}) String noise,
                             @JsonProperty("epsilon_per_question") Double epsilonPerQuestion,
                             Double budget, Double spent, Double remaining,
                             @JsonProperty("window_days") Long windowDays,
                             @Schema(description = "when one more fresh question fits again, or, when one fits now, "
                                     + "when the oldest spending leaves the window; absent when nothing was spent")
                             @JsonProperty("next_refill_at") String nextRefillAt) {
    }

    private final AggregateDisclosure disclosure;
    private final Caller caller;

    public PrivacyResource(AggregateDisclosure disclosure, Caller caller) {
        this.disclosure = disclosure;
        this.caller = caller;
    }

    @GET
    @Operation(summary = "Your privacy budget", description = "Every fresh report or campaign reach spends "
            + "epsilon_per_question; a question asked again within the answer period (24 h by default, and until the "
            + "audience gets another upload) is answered again at no cost. A spent budget answers 429 with "
            + "Retry-After.")
    public Uni<BudgetView> budget() {
        return disclosure.budget(caller.subject()).map(b -> b == null
                ? new BudgetView("none", null, null, null, null, null, null)
                : new BudgetView(AggregateDisclosure.NOISE, b.epsilon().value(), b.budget(),
                        round(b.budget() - b.remaining()), b.remaining(), b.window().toDays(),
                        b.refillAt() == null ? null : b.refillAt().toString()));
    }

    private static double round(double value) {
        return Math.round(value * 1_000_000d) / 1_000_000d;
    }
}
