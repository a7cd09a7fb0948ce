package be.audiencematch.security;

import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.Map;

/**
 * Does no work past authentication: lets a caller check its token, and is the baseline the eligibility benchmark
 * compares the hot path against (same HTTP stack, same token check, no Redis).
 */
@Path("/v1/ping")
@Tag(name = "ping", description = "Token check and benchmark baseline")
public class PingResource {

    private static final Map<String, Boolean> PONG = Map.of("ok", true);

    @GET
    @RolesAllowed({Roles.SUBSCRIBER_FEED, Roles.ADVERTISER, Roles.ADSERVER, Roles.ADSDATA, Roles.DPO})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Answers {\"ok\":true} to any valid token of a known role")
    public Uni<Map<String, Boolean>> ping() {
        return Uni.createFrom().item(PONG);
    }

    /**
     * The same for a request with a body, which is not read: the eligibility benchmark sends the very requests it
     * sends to {@code POST /v1/eligibility}, so that both endpoints see the same bytes and load generator.
     */
    @POST
    @RolesAllowed({Roles.SUBSCRIBER_FEED, Roles.ADVERTISER, Roles.ADSERVER, Roles.ADSDATA, Roles.DPO})
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Answers {\"ok\":true} to any valid token of a known role; a body, if any, is ignored")
    public Uni<Map<String, Boolean>> pingWithBody() {
        return ping();
    }
}
