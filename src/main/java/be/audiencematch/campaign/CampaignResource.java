package be.audiencematch.campaign;

import be.audiencematch.campaign.CampaignApi.CampaignView;
import be.audiencematch.campaign.CampaignApi.CreateCampaign;
import be.audiencematch.security.Caller;
import be.audiencematch.security.Roles;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.util.List;

/** Advertisers' campaigns on Pickx TV. */
@Path("/v1/campaigns")
@RolesAllowed(Roles.ADVERTISER)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "campaigns", description = "Campaigns targeting an audience, optionally narrowed by segments (role advertiser)")
public class CampaignResource {

    private final CampaignService service;
    private final Caller caller;

    public CampaignResource(CampaignService service, Caller caller) {
        this.service = service;
        this.caller = caller;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a campaign", description = "The channel is the audience's; segments must be of that "
            + "channel. Consent is checked at every eligibility answer. The campaign ends no later than its audience expires.")
    public Uni<Response> create(CreateCampaign request) {
        return service.create(caller.subject(), request).map(c -> Response.created(URI.create("/v1/campaigns/" + c.id()))
                .entity(CampaignService.view(c, null)).build());
    }

    @GET
    @Operation(summary = "List your campaigns")
    public Uni<List<CampaignView>> list() {
        return service.list(caller.subject()).map(all -> all.stream().map(c -> CampaignService.view(c, null)).toList());
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A campaign, its status and its reach in households (aggregate, thresholded, rounded)",
            description = "The reach carries differential-privacy noise and costs epsilon like an audience report "
                    + "(free when asked again with no upload to the audience since); a spent budget answers 429.")
    public Uni<CampaignView> get(@PathParam("id") String id) {
        return service.view(caller.subject(), id);
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Stop and delete a campaign", description = "The next eligibility answer no longer lists it.")
    public Uni<Response> delete(@PathParam("id") String id) {
        return service.delete(caller.subject(), id).replaceWith(Response.noContent().build());
    }
}
