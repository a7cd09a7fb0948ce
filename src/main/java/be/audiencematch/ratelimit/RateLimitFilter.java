package be.audiencematch.ratelimit;

import be.audiencematch.kernel.Problem;
import be.audiencematch.kernel.ProblemMappers;
import be.audiencematch.kernel.RateLimitConfig;
import be.audiencematch.security.Roles;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows callers down per token subject and role, and caps the streamed uploads (audience lists, segments, bulk loads)
 * one subject has running at once; both answer 429 with Retry-After. Runs on every /v1 endpoint after routing, so the
 * role is the one the endpoint is called as; a caller without a fitting role passes on to the role check's 403.
 * Non-blocking: the shared buckets answer through Lettuce's async API, and a Redis failure fails closed (503).
 */
public class RateLimitFilter {

    private static final Logger LOG = Logger.getLogger(RateLimitFilter.class);
    /** An upload takes seconds to minutes; asking again sooner than this only adds load. */
    static final int UPLOAD_RETRY_AFTER_SECONDS = 5;

    private final RateLimitConfig config;
    private final RateLimitStore store;
    private final CurrentIdentityAssociation identities;
    private final LocalBuckets local = new LocalBuckets();
    private final Map<Method, Endpoint> endpoints = new ConcurrentHashMap<>();

    public RateLimitFilter(RateLimitConfig config, RateLimitStore store, CurrentIdentityAssociation identities) {
        this.config = config;
        this.store = store;
        this.identities = identities;
    }

    /** The roles an endpoint is called as, and whether it streams its body (an upload). */
    private record Endpoint(List<String> roles, boolean streamed) {
        static Endpoint of(Method method, Class<?> resource) {
            RolesAllowed allowed = method.getAnnotation(RolesAllowed.class);
            if (allowed == null) {
                allowed = resource.getAnnotation(RolesAllowed.class);
            }
            List<String> roles = allowed == null ? List.of() : Arrays.asList(allowed.value());
            boolean streamed = Arrays.asList(method.getParameterTypes()).contains(InputStream.class);
            return new Endpoint(roles.stream().filter(Roles.ALL::contains).toList(), streamed);
        }
    }

    /**
     * On the event loop, before a blocking endpoint (an upload) is handed to a worker thread (nonBlocking): the filter
     * only waits for Redis asynchronously, and a refused upload never takes a worker.
     */
    @ServerRequestFilter(nonBlocking = true)
    public Uni<Response> limit(ResourceInfo info, RoutingContext context) {
        Method method = info == null ? null : info.getResourceMethod();
        if (!config.enabled() || method == null || !context.request().path().startsWith("/v1/")) {
            return Uni.createFrom().nullItem();
        }
        Endpoint endpoint = endpoints.computeIfAbsent(method, m -> Endpoint.of(m, info.getResourceClass()));
        if (endpoint.roles().isEmpty()) {
            return Uni.createFrom().nullItem();
        }
        return identities.getDeferredIdentity().chain(identity -> {
            String role = roleOf(identity, endpoint);
            String subject = subjectOf(identity);
            if (role == null || subject == null) {
                // Not ours to refuse: authentication (401) and the role check (403) answer.
                return Uni.createFrom().nullItem();
            }
            return waitMillis(role, subject).chain(wait -> wait > 0
                    ? Uni.createFrom().item(tooMany((wait + 999) / 1000, "too many requests for this token; retry "
                    + "after the time in Retry-After"))
                    : endpoint.streamed() ? slot(role, subject, context) : Uni.createFrom().nullItem());
        });
    }

    private Uni<Long> waitMillis(String role, String subject) {
        RateLimitConfig.Bucket bucket = bucketOf(config, role);
        if (Roles.ADSERVER.equals(role)) {
            return Uni.createFrom().item(local.take(subject, bucket, System.nanoTime()));
        }
        return store.take(role, subject, bucket);
    }

    /** How long a slot's give-back is tried again after a failure. */
    private static final long GIVE_BACK_TRIES_MILLIS = 10 * 60_000L;

    /** Takes an upload slot, given back when the response ends or the connection drops. */
    private Uni<Response> slot(String role, String subject, RoutingContext context) {
        int cap = inFlightOf(config, role);
        if (cap <= 0) {
            return Uni.createFrom().nullItem();
        }
        return store.takeSlot(role, subject, cap, config.inFlight().lease().toMillis()).map(taken -> {
            if (!taken) {
                return tooMany(UPLOAD_RETRY_AFTER_SECONDS, "at most " + cap + " uploads may run at once for this "
                        + "token; retry after the time in Retry-After");
            }
            // Given back even when Redis was away as the response ended (an upload cut short by an outage): tried
            // again with back-off for a while, rather than the slot held for its whole lease.
            context.addEndHandler(ended -> store.giveSlot(role, subject)
                    .onFailure().retry().withBackOff(java.time.Duration.ofMillis(500), java.time.Duration.ofSeconds(10))
                    .expireIn(GIVE_BACK_TRIES_MILLIS)
                    .subscribe().with(done -> {
                    }, failure -> LOG.debugf("an upload slot stays taken until its lease ends: %s",
                            failure.getClass().getSimpleName())));
            return null;
        });
    }

    private static String roleOf(SecurityIdentity identity, Endpoint endpoint) {
        if (identity == null || identity.isAnonymous()) {
            return null;
        }
        for (String role : endpoint.roles()) {
            if (identity.hasRole(role)) {
                return role;
            }
        }
        return null;
    }

    private static String subjectOf(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous()) {
            return null;
        }
        String subject = identity.getPrincipal() instanceof JsonWebToken token ? token.getSubject()
                : identity.getPrincipal().getName();
        // As security/Caller: a token without a fitting subject is refused there.
        return subject == null || subject.isBlank() || subject.length() > 200 ? null : subject;
    }

    private static Response tooMany(long retryAfterSeconds, String detail) {
        return Response.fromResponse(ProblemMappers.response(Problem.of(429, "Too Many Requests", detail)))
                .header("Retry-After", Math.max(1, retryAfterSeconds)).build();
    }

    /** The rate limit of a role (kept here, not in the configuration, which knows no roles). */
    private static RateLimitConfig.Bucket bucketOf(RateLimitConfig config, String role) {
        return switch (role) {
            case Roles.ADVERTISER -> config.advertiser();
            case Roles.ADSERVER -> config.adserver();
            case Roles.SUBSCRIBER_FEED -> config.subscriberFeed();
            case Roles.ADSDATA -> config.adsdata();
            case Roles.DPO -> config.dpo();
            default -> throw new IllegalArgumentException("unknown role");
        };
    }

    /** The in-flight cap of a role, 0 for a role that sends no uploads. */
    private static int inFlightOf(RateLimitConfig config, String role) {
        return switch (role) {
            case Roles.ADVERTISER -> config.inFlight().advertiser();
            case Roles.SUBSCRIBER_FEED -> config.inFlight().subscriberFeed();
            default -> 0;
        };
    }
}
