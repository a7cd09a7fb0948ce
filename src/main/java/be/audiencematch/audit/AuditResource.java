package be.audiencematch.audit;

import be.audiencematch.kernel.ProblemException;
import be.audiencematch.security.Roles;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The data-protection officer's view of the audit trail (docs/privacy.md, "Audit trail"). */
@Path("/v1/audit")
@Tag(name = "dpo", description = "The data-protection officer's audit trail and right of access (role dpo)")
public class AuditResource {

    /** Every kind the service writes (docs/privacy.md lists their fields). */
    public static final Set<String> KINDS = Set.of("question", "audience.created", "audience.uploaded",
            "audience.deleted", "campaign.created", "campaign.deleted", "subscriber.created", "subscriber.replaced",
            "subscriber.consents", "subscriber.erased", "bulk.loaded", "export");
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    private static final Pattern STREAM_ID = Pattern.compile("[0-9]{1,19}-[0-9]{1,19}");

    @Schema(description = "One page of the audit trail, oldest first")
    public record AuditPage(
            @Schema(description = "Entries: id (stream id), at (ISO instant), kind, then the kind's fields")
            List<Map<String, String>> entries,
            @JsonProperty("next_cursor")
            @Schema(description = "Pass as 'cursor' for the next page; null when the range has no more entries",
                    nullable = true)
            String nextCursor) {
    }

    private final AuditLog log;

    public AuditResource(AuditLog log) {
        this.log = log;
    }

    @GET
    @RolesAllowed(Roles.DPO)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Read the audit trail (role dpo)",
            description = "Entries between 'from' (inclusive) and 'to' (exclusive), oldest first, optionally of one "
                    + "kind, at most 'limit' a page. Entries hold counts and internal subscriber numbers, never an "
                    + "identifier, digest, pseudonym or token. Entries older than the retention "
                    + "(AUDIENCE_MATCH_AUDIT_RETENTION, 13 months by default) are gone.")
    public Uni<AuditPage> read(
            @Parameter(description = "ISO-8601 instant; the oldest kept entry when absent") @QueryParam("from") String from,
            @Parameter(description = "ISO-8601 instant, exclusive; now when absent") @QueryParam("to") String to,
            @Parameter(description = "Only entries of this kind (see docs/privacy.md)") @QueryParam("kind") String kind,
            @Parameter(description = "Entries per page, 1 to 1000 (default 100)") @QueryParam("limit") String limit,
            @Parameter(description = "The previous page's next_cursor") @QueryParam("cursor") String cursor) {
        Instant start = instant(from, "from");
        Instant end = instant(to, "to");
        if (start != null && end != null && !end.isAfter(start)) {
            throw ProblemException.badRequest("query parameter 'to' must be after 'from'");
        }
        if (kind != null && !KINDS.contains(kind)) {
            throw ProblemException.badRequest("query parameter 'kind' is not a known kind (see docs/privacy.md)");
        }
        int size = limit(limit);
        if (cursor != null && !STREAM_ID.matcher(cursor).matches()) {
            throw ProblemException.badRequest("query parameter 'cursor' is not a cursor this endpoint gave");
        }
        String first = cursor != null ? "(" + cursor : start == null ? "-" : Long.toString(start.toEpochMilli());
        String last = end == null ? "+" : Long.toString(end.toEpochMilli() - 1);
        if (end != null && end.toEpochMilli() <= 0) {
            return Uni.createFrom().item(new AuditPage(List.of(), null));
        }
        return log.page(first, last, kind, size).map(p -> new AuditPage(p.entries(), p.nextCursor()));
    }

    private static Instant instant(String value, String name) {
        if (value == null) {
            return null;
        }
        try {
            Instant at = Instant.parse(value);
            if (at.toEpochMilli() < 0) {
                throw ProblemException.badRequest("query parameter '" + name + "' is before 1970");
            }
            return at;
        } catch (DateTimeParseException | ArithmeticException e) {
            throw ProblemException.badRequest("query parameter '" + name + "' must be an ISO-8601 instant");
        }
    }

    private static int limit(String value) {
        if (value == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ProblemException.badRequest("query parameter 'limit' must be between 1 and " + MAX_LIMIT);
    }
}
