package be.audiencematch.kernel;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Keeps identifiers out of the HTTP metrics' {@code uri} label. Quarkus labels a request with its route template
 * ({@code /v1/subscribers/{subscriberId}}), but a request refused before routing (no bearer token, a body over its
 * limit) or found by path and not by method (405) is labelled with its raw path, subscriber or household id and
 * all: personal data in a metric label, and a new time series for every id anyone sends. Such paths are masked here:
 * every segment that is not a word of our own routes becomes {@code {id}}. The refusals we make ourselves name their
 * masked path as the request's route template ({@link #useMaskedPathFor}), so the raw path never reaches Micrometer
 * (whose own cache keeps every distinct label it is given); the filter below catches whatever else would.
 */
@Singleton
public class MetricUriLabels {

    /** The literal segments of every route under /v1 (MetricUriLabelsTest checks the resources against it). */
    static final Set<String> ROUTE_WORDS = Set.of("v1", "subscribers", "consents", "bulk", "segments", "audiences",
            "members", "campaigns", "eligibility", "exports", "ads-and-data", "audit", "dpo", "ping", "privacy", "budget",
            "members:remove");

    /** The path parameters of those routes as Quarkus writes them in a template (checked the same way). */
    static final Set<String> ROUTE_PARAMETERS = Set.of("{id}", "{subscriberId}", "{segmentId}", "{householdId}");

    private static final String URI = "uri";
    /** Where Quarkus' HTTP metrics look for a request's route template (a local of the request's Vert.x context). */
    private static final String ROUTE_TEMPLATE = "UrlPathTemplate";

    /** Labels the current request's metrics with its masked path, unless it was routed and has a template already. */
    public static void useMaskedPathFor(String path) {
        Context request = Vertx.currentContext();
        if (request != null && request.getLocal(ROUTE_TEMPLATE) == null) {
            request.putLocal(ROUTE_TEMPLATE, mask(path));
        }
    }

    @Produces
    @Singleton
    MeterFilter maskIdentifiersInUris() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                String uri = id.getTag(URI);
                if (uri == null) {
                    return id;
                }
                String masked = mask(uri);
                if (masked.equals(uri)) {
                    return id;
                }
                List<Tag> tags = new ArrayList<>();
                for (Tag tag : id.getTagsAsIterable()) {
                    tags.add(tag.getKey().equals(URI) ? Tag.of(URI, masked) : tag);
                }
                return id.replaceTags(tags);
            }
        };
    }

    /**
     * A path outside /v1 as it is (Quarkus labels those NOT_FOUND or by their own route); under /v1 every segment that
     * is neither a route word nor one of our path parameters becomes {id}, so a route template comes out unchanged
     * and a raw path (braces and all: a caller can send those too) comes out masked.
     */
    static String mask(String uri) {
        if (!uri.startsWith("/v1/")) {
            return uri;
        }
        StringBuilder masked = new StringBuilder(uri.length());
        for (String segment : uri.substring(1).split("/", -1)) {
            boolean ours = segment.isEmpty() || ROUTE_WORDS.contains(segment) || ROUTE_PARAMETERS.contains(segment);
            masked.append('/').append(ours ? segment : "{id}");
        }
        return masked.toString();
    }
}
