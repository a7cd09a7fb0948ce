package be.audiencematch.kernel;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Checks that need no routing, done first: an API call without a bearer token is 401 whatever else is wrong with
 * it, and a body over its limit is refused before a byte is read, with a problem body rather than the HTTP
 * layer's empty 413. A declared length is only a first check: bodies are also counted as they are read, after
 * decompression, which catches gzip and chunked ones (LineReader for uploads, JsonBodyLimit for JSON). Token
 * verification and roles stay with SmallRye JWT and the resources.
 */
@ApplicationScoped
public class RequestGuards {

    private final long jsonMaxBytes;
    private final long uploadMaxBytes;

    public RequestGuards(AudienceMatchConfig config) {
        this.jsonMaxBytes = config.json().maxBytes();
        this.uploadMaxBytes = config.upload().maxBytes();
    }

    void install(@Observes Router router) {
        router.route().order(-1000).handler(ctx -> {
            HttpServerRequest request = ctx.request();
            String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
            if (request.path().startsWith("/v1/")
                    && (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7))) {
                ctx.response().putHeader("WWW-Authenticate", "Bearer");
                refuse(ctx, 401, "Unauthorized", "a valid bearer token is required");
                return;
            }
            String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
            boolean json = type != null && type.toLowerCase().startsWith("application/json");
            String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
            long limit = json ? jsonMaxBytes : uploadMaxBytes;
            if (length != null) {
                long declared;
                try {
                    declared = Long.parseLong(length.trim());
                } catch (NumberFormatException e) {
                    declared = -1;
                }
                if (declared > limit) {
                    refuse(ctx, 413, "Content Too Large", "body exceeds " + limit + " bytes");
                    return;
                }
            }
            ctx.next();
        });
    }

    private static void refuse(RoutingContext ctx, int status, String title, String detail) {
        MetricUriLabels.useMaskedPathFor(ctx.request().path());
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE)
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(Json.encode(Problem.of(status, title, detail)));
    }
}
