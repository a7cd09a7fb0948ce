package be.audiencematch.kernel;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.UUID;

/**
 * Turns every failure into an RFC 9457 body. Details name fields and positions, never submitted values; a server
 * error shows only a reference that matches the log line.
 */
public class ProblemMappers {

    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    private static final int REDIS_RETRY_AFTER_SECONDS = 5;

    public static Response response(Problem problem) {
        return Response.status(problem.status()).type(Problem.MEDIA_TYPE).entity(problem).build();
    }

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        Response problem = response(e.invalidLines() == null ? Problem.of(e.status(), e.title(), e.getMessage())
                : Problem.withLines(e.status(), e.title(), e.getMessage(), e.invalidLines()));
        if (e.retryAfterSeconds() != null) {
            return Response.fromResponse(problem).header("Retry-After", e.retryAfterSeconds()).build();
        }
        return e.status() == 503
                ? Response.fromResponse(problem).header("Retry-After", REDIS_RETRY_AFTER_SECONDS).build() : problem;
    }

    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException e) {
        return response(Problem.of(400, "Bad Request", "unknown field '" + JsonProblems.path(e) + "'"));
    }

    @ServerExceptionMapper({MismatchedInputException.class, InvalidFormatException.class})
    public Response wrongShape(MismatchedInputException e) {
        return badJson(e);
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        return response(Problem.of(400, "Bad Request", JsonProblems.describe(e)));
    }

    /**
     * Jackson guesses a body's encoding from its first bytes; zero bytes there make it read UTF-32 and fail with this
     * I/O error rather than a JSON one (found by ConsentPatchFuzzTest): still the client's malformed body.
     */
    @ServerExceptionMapper
    public Response unreadableText(java.io.CharConversionException e) {
        return response(Problem.of(400, "Bad Request", "malformed JSON: the body is not text in UTF-8"));
    }

    @ServerExceptionMapper
    public Response unauthenticated(AuthenticationFailedException e) {
        return unauthorized();
    }

    @ServerExceptionMapper
    public Response unauthorized(UnauthorizedException e) {
        return unauthorized();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return response(Problem.of(403, "Forbidden", "the token's role does not allow this operation"));
    }

    @ServerExceptionMapper({RedisConnectionException.class, RedisCommandTimeoutException.class, RedisException.class})
    public Response redisDown(RedisException e) {
        LOG.warnf("Redis unavailable: %s", e.getClass().getSimpleName());
        return Response.fromResponse(response(Problem.of(503, "Service Unavailable",
                        "the subscriber store is unreachable; retry later")))
                .header("Retry-After", REDIS_RETRY_AFTER_SECONDS).build();
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, HttpServerRequest request) {
        Throwable cause = e.getCause();
        if (cause instanceof JsonProcessingException json) {
            return badJson(json);
        }
        int status = e.getResponse().getStatus();
        if (status == 405) {
            // Found by path, not by method: no route template, so the metrics would take the raw path, ids and all.
            MetricUriLabels.useMaskedPathFor(request.path());
        }
        String title = Response.Status.fromStatusCode(status) == null ? "Error"
                : Response.Status.fromStatusCode(status).getReasonPhrase();
        String detail = switch (status) {
            case 404 -> "no such resource";
            case 405 -> "method not allowed on this resource";
            case 406 -> "cannot produce the requested media type";
            case 413 -> "request body is larger than allowed";
            case 415 -> "unsupported content type; the API description (OpenAPI) lists what each endpoint takes";
            default -> status < 500 ? "the request cannot be processed" : "the server failed to answer";
        };
        return response(Problem.of(status, title, detail));
    }

    @ServerExceptionMapper(priority = 10_000)
    public Response unexpected(Throwable e) {
        // Redis' failure anywhere in the chain (a refused connection is Lettuce's exception around Netty's): 503.
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof RedisException redis) {
                return redisDown(redis);
            }
        }
        String reference = UUID.randomUUID().toString();
        // The class and the reference only: exception messages can quote data.
        LOG.errorf("unexpected %s (reference %s)", e.getClass().getName(), reference);
        return response(Problem.of(500, "Internal Server Error", "unexpected error; reference " + reference));
    }

    private static Response unauthorized() {
        return Response.fromResponse(response(Problem.of(401, "Unauthorized",
                "a valid bearer token is required"))).header("WWW-Authenticate", "Bearer").build();
    }
}
