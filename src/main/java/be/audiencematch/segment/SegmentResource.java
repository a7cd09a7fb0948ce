package be.audiencematch.segment;

import be.audiencematch.consent.Channel;
import be.audiencematch.kernel.Uploads;
import be.audiencematch.security.Roles;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.InputStream;
import java.util.List;

/** The operator's profiling systems publish segments here. */
@Path("/v1/segments")
@RolesAllowed(Roles.SUBSCRIBER_FEED)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "segments", description = "Profile segments from the operator's own profiling (role subscriber-feed)")
public class SegmentResource {

    /** A segment as listed: no members, only their count. */
    public record SegmentView(String id, String channel, String identifier_type, long members, String updated_at) {
        static SegmentView of(Segment s) {
            return new SegmentView(s.id(), s.channel().wireName(), s.identifierType().wireName(), s.members(),
                    s.updatedAt().toString());
        }
    }

    private final SegmentService service;

    public SegmentResource(SegmentService service) {
        this.service = service;
    }

    @PUT
    @Path("{segmentId}")
    @Consumes(Uploads.TEXT)
    @Blocking
    @Operation(summary = "Replace a segment's membership",
            description = "Body: one hashed identifier (64 hex) per line. Replaced atomically: a report running "
                    + "meanwhile sees the old or the new membership. A body with an invalid row changes nothing.")
    public SegmentService.Replaced replace(@PathParam("segmentId") String segmentId,
                                           @QueryParam("channel") String channel,
                                           @QueryParam("identifier_type") String identifierType, InputStream body) {
        SegmentService.checkId(segmentId);
        return service.replace(segmentId, Channel.parse(channel, "channel"),
                Uploads.identifierType(identifierType, "identifier_type"), body);
    }

    @GET
    @Operation(summary = "List segments with channel and member count")
    public Uni<List<SegmentView>> list() {
        return service.list().map(all -> all.stream().map(SegmentView::of).toList());
    }

    @DELETE
    @Path("{segmentId}")
    @Operation(summary = "Delete a segment")
    public Uni<Response> delete(@PathParam("segmentId") String segmentId) {
        SegmentService.checkId(segmentId);
        return service.delete(segmentId).replaceWith(Response.noContent().build());
    }
}
