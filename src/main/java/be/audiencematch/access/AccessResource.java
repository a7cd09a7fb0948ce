package be.audiencematch.access;

import be.audiencematch.access.AccessApi.SubscriberHeld;
import be.audiencematch.consent.SubscriberValidation;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.security.Roles;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The right of access (GDPR art. 15), answered to the data-protection officer (docs/privacy.md, "Right of access"). */
@Path("/v1/dpo/subscribers")
@Tag(name = "dpo", description = "The data-protection officer's audit trail and right of access (role dpo)")
public class AccessResource {

    private final AccessStore store;

    public AccessResource(AccessStore store) {
        this.store = store;
    }

    @GET
    @Path("{subscriberId}")
    @RolesAllowed(Roles.DPO)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "What the service holds on a subscriber (role dpo)",
            description = "Identifier types held (never their values), household, consents with when each last "
                    + "changed, segments, how many audiences and campaigns include the subscriber, and the exports "
                    + "(segment, key version, time) whose cursor is still kept. 404 for an unknown or erased subscriber.")
    public Uni<SubscriberHeld> subscriber(@PathParam("subscriberId") String subscriberId) {
        try {
            SubscriberValidation.checkSubscriberId(subscriberId, "path 'subscriberId'");
        } catch (SubscriberValidation.Invalid e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        return store.held(subscriberId).map(held -> held.orElseThrow(
                () -> ProblemException.notFound("no subscriber with that id (unknown or erased)")));
    }
}
