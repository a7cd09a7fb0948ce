package be.audiencematch.audience;

import be.audiencematch.audience.AudienceApi.AudienceSummary;
import be.audiencematch.audience.AudienceApi.CreateAudience;
import be.audiencematch.audience.AudienceApi.Report;
import be.audiencematch.audience.AudienceApi.UploadReport;
import be.audiencematch.idempotency.Idempotency;
import be.audiencematch.kernel.Uploads;
import be.audiencematch.security.Caller;
import be.audiencematch.security.Roles;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.InputStream;
import java.net.URI;
import java.util.Arrays;
import java.util.List;

/** Advertisers' customer lists; the token's subject is the advertiser. */
@Path("/v1/audiences")
@RolesAllowed(Roles.ADVERTISER)
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "audiences", description = "Advertiser customer lists and aggregate match reports (role advertiser)")
public class AudienceResource {

    private final AudienceService service;
    private final Caller caller;
    private final Idempotency idempotency;

    public AudienceResource(AudienceService service, Caller caller, Idempotency idempotency) {
        this.service = service;
        this.caller = caller;
        this.idempotency = idempotency;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create an audience", description = "ttl_days: 1 to the configured cap "
            + "(audience-match.audience.max-ttl, 396 days by default), default 30; everything derived "
            + "from the audience expires with it.")
    public Uni<Response> create(CreateAudience request) {
        return service.create(caller.subject(), request).map(a -> Response.created(URI.create("/v1/audiences/" + a.id()))
                .entity(AudienceSummary.of(a)).build());
    }

    @GET
    @Operation(summary = "List your audiences")
    public Uni<List<AudienceSummary>> list() {
        return service.list(caller.subject()).map(all -> all.stream().map(AudienceSummary::of).toList());
    }

    @POST
    @Path("{id}/members")
    @Consumes({Uploads.TEXT, Uploads.CSV})
    @Blocking
    @Operation(summary = "Upload hashed identifiers",
            description = "One SHA-256 hex digest per line (blank lines skipped; Content-Encoding: gzip accepted); "
                    + "or text/csv whose header names the columns email_sha256 and/or phone_sha256, for an audience "
                    + "made with identifier_types: a row matches when any of its identifiers does, and counts once. "
                    + "May be called several times; rows add up. Clear-text e-mail addresses or phone numbers are "
                    + "rejected and counted as plaintext_rejected. Identifiers that match no consenting subscriber "
                    + "are dropped at once. With an Idempotency-Key, a repeat of the same key (same advertiser, "
                    + "within 24 h) answers the first upload's counts and counts nothing again: a client that lost "
                    + "the answer sends the chunk again safely.")
    public UploadReport upload(@PathParam("id") String id,
                               @Parameter(description = "1 to 100 characters of A-Z a-z 0-9 . _ : -, unique per chunk "
                                       + "(e.g. a run's UUID and the chunk number). A repeat while the first request "
                                       + "still runs answers 409 (send it again later); a key used for another "
                                       + "audience answers 422.")
                               @HeaderParam(Idempotency.HEADER) String idempotencyKey,
                               @HeaderParam("Content-Type") String contentType,
                               InputStream body) {
        String advertiser = caller.subject();
        boolean csv = Uploads.isCsv(contentType);
        return idempotency.upload(advertiser, id, idempotencyKey, body, UploadReport.class,
                () -> service.upload(advertiser, id, body, csv));
    }

    @POST
    @Path("{id}/members:remove")
    @Consumes({Uploads.TEXT, Uploads.CSV})
    @Blocking
    @Operation(summary = "Remove hashed identifiers (an opt-out list)",
            description = "Same format as the upload. Subscribers behind the listed identifiers leave the audience "
                    + "(and so its campaigns, at the next eligibility answer); the campaigns stay. The answer counts "
                    + "the list's rows only, never how many were removed.")
    public UploadReport remove(@PathParam("id") String id, @HeaderParam("Content-Type") String contentType,
                               InputStream body) {
        return service.changeMembers(caller.subject(), id, body, AudienceService.MembersChange.REMOVE,
                Uploads.isCsv(contentType));
    }

    @DELETE
    @Path("{id}/members")
    @Consumes({Uploads.TEXT, Uploads.CSV})
    @Blocking
    @Operation(summary = "Remove hashed identifiers (the same as POST …/members:remove)")
    public UploadReport removeByDelete(@PathParam("id") String id, @HeaderParam("Content-Type") String contentType,
                                       InputStream body) {
        return remove(id, contentType, body);
    }

    @PUT
    @Path("{id}/members")
    @Consumes({Uploads.TEXT, Uploads.CSV})
    @Blocking
    @Operation(summary = "Replace every member",
            description = "Same format as the upload. The audience's members and upload counts become this list's, "
                    + "in one atomic step: a report or an eligibility answer sees the old list or the new one.")
    public UploadReport replace(@PathParam("id") String id, @HeaderParam("Content-Type") String contentType,
                                InputStream body) {
        return service.changeMembers(caller.subject(), id, body, AudienceService.MembersChange.REPLACE,
                Uploads.isCsv(contentType));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "The aggregate report",
            description = "matched = subscribers on the list who consent now to the channel's purpose (and are in "
                    + "every named segment of the same channel), plus differential-privacy noise (noise, epsilon); "
                    + "null and below_threshold when the noised count is under the threshold, else rounded down to "
                    + "rounded_to. A fresh question spends epsilon of the advertiser's budget (budget_remaining); "
                    + "the same question (same segments, no upload since) within the answer period is answered "
                    + "again at no cost (fresh: false). A spent budget answers 429 with Retry-After.")
    public Uni<Report> report(@PathParam("id") String id,
                              @Parameter(description = "comma-separated segment ids, e.g. football-fan,news")
                              @QueryParam("segments") String segments) {
        List<String> segmentIds = segments == null || segments.isBlank() ? List.of()
                : Arrays.stream(segments.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        return service.report(caller.subject(), id, segmentIds);
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Delete an audience and everything derived from it")
    public Uni<Response> delete(@PathParam("id") String id) {
        return service.delete(caller.subject(), id).replaceWith(Response.noContent().build());
    }
}
