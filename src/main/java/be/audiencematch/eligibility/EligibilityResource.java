package be.audiencematch.eligibility;

import be.audiencematch.eligibility.EligibilityApi.Answer;
import be.audiencematch.eligibility.EligibilityApi.Question;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.security.Roles;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The Pickx ad server asks, for every TV ad slot, which campaigns a household may get. */
@Path("/v1/eligibility")
@RolesAllowed(Roles.ADSERVER)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "eligibility", description = "Real-time campaign eligibility for the Pickx ad server (role adserver)")
public class EligibilityResource {

    private final EligibilityService service;

    public EligibilityResource(EligibilityService service) {
        this.service = service;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Which candidate campaigns is a household eligible for?",
            description = "Up to 100 candidates. A campaign is listed when it is active and at least one subscriber "
                    + "of the household is in its targeted set and consents to tv now. Unknown ids are not eligible.")
    public Uni<Answer> eligible(Question question) {
        if (question == null) {
            throw ProblemException.badRequest("a JSON body is required");
        }
        return service.eligible(question.householdId(), question.campaignIds());
    }

    @GET
    @Path("{householdId}")
    @Operation(summary = "Every active campaign a household is eligible for")
    public Uni<Answer> all(@PathParam("householdId") String householdId) {
        return service.allEligible(householdId);
    }
}
