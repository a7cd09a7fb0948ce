package be.audiencematch.export;

import be.audiencematch.security.Caller;
import be.audiencematch.security.Roles;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;
import java.util.Map;

/** What Ads & Data pulls: pseudonymised, encrypted segments and their deltas. */
@Path("/v1/exports/ads-and-data")
@Tag(name = "ads-and-data", description = "Pseudonymised, encrypted segment exports for Ads & Data (role adsdata)")
public class ExportResource {

    public static final String EXPORT_MEDIA_TYPE = "application/vnd.audience-match.export";

    private final ExportService service;
    private final ExportStore store;
    private final Caller caller;

    public ExportResource(ExportService service, ExportStore store, Caller caller) {
        this.service = service;
        this.store = store;
        this.caller = caller;
    }

    @GET
    @Path("segments")
    @RolesAllowed(Roles.ADSDATA)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Exportable segments",
            description = "Segment ids and channels, with how many consenting members each would export, as an "
                    + "aggregate under the usual threshold and rounding.")
    public Uni<List<ExportService.ExportableSegment>> segments() {
        return service.list();
    }

    @GET
    @Path("segments/{segmentId}")
    @RolesAllowed(Roles.ADSDATA)
    @Produces({EXPORT_MEDIA_TYPE, MediaType.APPLICATION_JSON})
    @Blocking
    @Operation(summary = "Export a segment",
            description = "Without 'since': a snapshot of the pseudonyms of members who consent to ads_and_data. "
                    + "With 'since': the pseudonyms added and removed since that cursor (removals include withdrawals, "
                    + "erasures and members who left). The body is HPKE-encrypted to Ads & Data (docs/ads-and-data.md); "
                    + "X-Export-Next-Cursor carries the cursor for the next delta. An expired cursor is 410.")
    public Response export(@PathParam("segmentId") String segmentId, @QueryParam("since") String since) {
        ExportService.Prepared prepared = service.prepare(caller.subject(), segmentId,
                since == null || since.isBlank() ? null : since);
        StreamingOutput body = prepared.streamer()::writeTo;
        return Response.ok(body, EXPORT_MEDIA_TYPE)
                .header("X-Export-Next-Cursor", prepared.header().nextCursor())
                .header("X-Export-Key-Version", prepared.header().keyVersion())
                .header("X-Export-Mode", prepared.header().snapshot() ? "snapshot" : "delta")
                .header("X-Export-Added", prepared.added())
                .header("X-Export-Removed", prepared.removed())
                .build();
    }

    @GET
    @Path("audit")
    @RolesAllowed(Roles.DPO)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The export audit trail (role dpo)",
            description = "Newest first: who exported which segment when, how many added and removed, and the key "
                    + "version; the entries of kind 'export' of the audit trail (GET /v1/audit?kind=export pages "
                    + "through all of them). Never a pseudonym or a cursor.")
    public Uni<List<Map<String, String>>> audit(@QueryParam("limit") Integer limit) {
        int count = limit == null ? 100 : Math.max(1, Math.min(limit, 1000));
        return store.recentAudit(count);
    }
}
