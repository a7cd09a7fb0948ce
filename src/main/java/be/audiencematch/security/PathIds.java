package be.audiencematch.security;

import be.audiencematch.identity.NationalRegisterNumber;
import be.audiencematch.kernel.OperatorIds;
import be.audiencematch.kernel.Problem;
import be.audiencematch.kernel.ProblemMappers;
import be.audiencematch.kernel.RandomIds;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.util.List;
import java.util.Map;

/**
 * Checks every path id before a resource (and so any store) sees it: an id ends up in a Redis key name, and an id
 * such as {@code aud_x:members} would name another key (docs/architecture.md, "Tokens" and "Keys"). An id that
 * cannot exist is answered exactly as an unknown one (404), or 400 where the request would create it; a path
 * parameter this filter does not know is refused, so a new route cannot skip the check. Subscriber ids are checked
 * by their resource, which also refuses a national register number.
 */
public class PathIds {

    @ServerRequestFilter
    public Response check(ContainerRequestContext request, UriInfo uri) {
        MultivaluedMap<String, String> parameters = uri.getPathParameters();
        if (parameters.isEmpty()) {
            return null;
        }
        String path = uri.getPath();
        for (Map.Entry<String, List<String>> parameter : parameters.entrySet()) {
            for (String value : parameter.getValue()) {
                Response refused = check(parameter.getKey(), value, path, request.getMethod());
                if (refused != null) {
                    return refused;
                }
            }
        }
        return null;
    }

    static Response check(String name, String value, String path, String method) {
        return switch (name) {
            case "id" -> path.startsWith("/v1/audiences/") ? expect(RandomIds.isId("aud_", value), "no audience with that id")
                    : path.startsWith("/v1/campaigns/") ? expect(RandomIds.isId("cmp_", value), "no campaign with that id")
                    : notFound("no such resource");
            case "segmentId" -> OperatorIds.SEGMENT_ID.matcher(value).matches() ? null
                    : HttpMethod.PUT.equals(method)
                    ? badRequest("segment id must be 1-64 characters of A-Z a-z 0-9 . _ -")
                    : notFound("no segment with that id");
            case "householdId" -> !OperatorIds.isSubscriberOrHouseholdId(value)
                    ? badRequest("path 'householdId' must be 1-128 characters of A-Z a-z 0-9 . _ : -")
                    : NationalRegisterNumber.looksLikeOne(value)
                    ? badRequest(NationalRegisterNumber.refusal("path 'householdId'")) : null;
            case "subscriberId" -> null;
            default -> notFound("no such resource");
        };
    }

    private static Response expect(boolean valid, String notFound) {
        return valid ? null : notFound(notFound);
    }

    private static Response notFound(String detail) {
        return ProblemMappers.response(Problem.of(404, "Not Found", detail));
    }

    private static Response badRequest(String detail) {
        return ProblemMappers.response(Problem.of(400, "Bad Request", detail));
    }
}
