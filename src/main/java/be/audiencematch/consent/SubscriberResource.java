package be.audiencematch.consent;

import be.audiencematch.consent.SubscriberApi.BulkReport;
import be.audiencematch.consent.SubscriberApi.ConsentFlags;
import be.audiencematch.consent.SubscriberApi.SubscriberBody;
import be.audiencematch.consent.SubscriberApi.Upserted;
import be.audiencematch.idempotency.Idempotency;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.security.Caller;
import be.audiencematch.security.Roles;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.InputStream;

/** The subscriber feed (MyProximus, customer care): identifiers, households, consents, erasures. */
@Path("/v1/subscribers")
@RolesAllowed(Roles.SUBSCRIBER_FEED)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "subscribers", description = "The operator's subscriber feed (role subscriber-feed)")
public class SubscriberResource {

    public static final String NDJSON = "application/x-ndjson";
    private static final String PATH_ID = "path 'subscriberId'";

    private final SubscriberService service;
    private final Idempotency idempotency;
    private final Caller caller;

    public SubscriberResource(SubscriberService service, Idempotency idempotency, Caller caller) {
        this.idempotency = idempotency;
        this.caller = caller;
        this.service = service;
    }

    @PUT
    @Path("{subscriberId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create or replace a subscriber",
            description = "Answers 201 when new, 200 when replaced. A consent left out is false.")
    public Uni<Response> put(@PathParam("subscriberId") String subscriberId, SubscriberBody body) {
        Subscriber subscriber = validated(subscriberId, body);
        return service.upsert(subscriber).map(created ->
                Response.status(created ? 201 : 200).entity(new Upserted(created)).build());
    }

    @PATCH
    @Path("{subscriberId}/consents")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Change consent for some purposes",
            description = "Applied at once: the next report, eligibility answer or export after the 204 uses it.")
    public Uni<Response> patchConsents(@PathParam("subscriberId") String subscriberId, ConsentFlags flags) {
        checkId(subscriberId);
        return service.updateConsents(subscriberId, SubscriberService.changes(flags))
                .replaceWith(Response.noContent().build());
    }

    @DELETE
    @Path("{subscriberId}")
    @Operation(summary = "Erase a subscriber",
            description = "Removes every trace: identifier index, household, consents, segment and audience "
                    + "membership. Idempotent: an unknown id also answers 204.")
    public Uni<Response> erase(@PathParam("subscriberId") String subscriberId) {
        checkId(subscriberId);
        return service.erase(subscriberId).replaceWith(Response.noContent().build());
    }

    @POST
    @Path("bulk")
    @Consumes({NDJSON, "application/jsonl"})
    @Blocking
    @Operation(summary = "Bulk load subscribers as NDJSON",
            description = "One subscriber per line with \"subscriber_id\" added. Streamed; bad lines are counted and "
                    + "listed (at most 20) by line number and do not stop good ones. Every line is a create-or-replace, "
                    + "so a load cut short (503) can be sent again whole; with an Idempotency-Key, a repeat of the same "
                    + "key answers the first load's report without loading again.")
    public BulkReport bulk(@Parameter(description = "1 to 100 characters of A-Z a-z 0-9 . _ : -, unique per load. A "
                                   + "repeat while the first load still runs answers 409 (send it again later).")
                           @HeaderParam(Idempotency.HEADER) String idempotencyKey,
                           InputStream body) {
        return idempotency.bulkLoad(caller.subject(), idempotencyKey, body, BulkReport.class,
                () -> service.bulkLoad(body));
    }

    private static Subscriber validated(String subscriberId, SubscriberBody body) {
        if (body == null) {
            throw ProblemException.badRequest("a JSON body is required");
        }
        try {
            return SubscriberValidation.toSubscriber(subscriberId, PATH_ID, body.identifiers(), body.householdId(),
                    body.consents());
        } catch (SubscriberValidation.Invalid e) {
            throw ProblemException.badRequest(e.getMessage());
        }
    }

    private static void checkId(String subscriberId) {
        try {
            SubscriberValidation.checkSubscriberId(subscriberId, PATH_ID);
        } catch (SubscriberValidation.Invalid e) {
            throw ProblemException.badRequest(e.getMessage());
        }
    }
}
