package be.audiencematch.kernel;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.ws.rs.Path;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricUriLabelsTest {

    @Test
    void rawPathsLoseTheirIdentifiersAndTemplatesStayAsTheyAre() {
        assertEquals("/v1/subscribers/{id}", MetricUriLabels.mask("/v1/subscribers/sub-8472"));
        assertEquals("/v1/subscribers/{id}/consents", MetricUriLabels.mask("/v1/subscribers/sub-8472/consents"));
        assertEquals("/v1/eligibility/{id}", MetricUriLabels.mask("/v1/eligibility/hh-12"));
        assertEquals("/v1/exports/ads-and-data/segments/{id}",
                MetricUriLabels.mask("/v1/exports/ads-and-data/segments/football-fan"));
        assertEquals("/v1/{id}/{id}", MetricUriLabels.mask("/v1/no-such-route/sub-1"));
        assertEquals("/v1/subscribers/{id}", MetricUriLabels.mask("/v1/subscribers/{sub-8472}"));
        for (String unchanged : List.of("/v1/subscribers/bulk", "/v1/subscribers/{subscriberId}", "/v1/segments",
                "/v1/exports/ads-and-data/audit", "/v1/audiences/{id}/members", "NOT_FOUND", "/q/metrics", "root")) {
            assertEquals(unchanged, MetricUriLabels.mask(unchanged));
        }
    }

    /** The filter behind the refusals' own labels: whatever raw path still reaches Micrometer is masked there. */
    @Test
    void theMeterFilterMasksTheUriTagAndKeepsTheOthers() {
        MeterFilter filter = new MetricUriLabels().maskIdentifiersInUris();
        Meter.Id raw = new Meter.Id("http.server.requests",
                Tags.of("method", "DELETE", "status", "401", "uri", "/v1/subscribers/sub-8472"), null, null, Meter.Type.TIMER);
        Meter.Id mapped = filter.map(raw);
        assertEquals("/v1/subscribers/{id}", mapped.getTag("uri"));
        assertEquals("401", mapped.getTag("status"));
        assertEquals("DELETE", mapped.getTag("method"));
        Meter.Id templated = raw.replaceTags(Tags.of("method", "GET", "status", "200", "uri", "/v1/segments"));
        assertEquals(templated, filter.map(templated));
    }

    /** A route word missing from the list would only merge that route's metrics with others; this keeps them apart. */
    @Test
    void everyLiteralSegmentOfEveryRouteIsARouteWord() throws Exception {
        List<String> paths = new ArrayList<>();
        java.nio.file.Path classes = java.nio.file.Path.of("target", "classes");
        try (Stream<java.nio.file.Path> files = Files.walk(classes.resolve("be/audiencematch"))) {
            for (java.nio.file.Path file : files.filter(f -> f.toString().endsWith("Resource.class")).toList()) {
                String name = classes.relativize(file).toString().replace('/', '.').replace(".class", "");
                Class<?> resource = Class.forName(name);
                Path root = resource.getAnnotation(Path.class);
                if (root == null) {
                    continue;
                }
                paths.add(root.value());
                for (Method method : resource.getDeclaredMethods()) {
                    Path sub = method.getAnnotation(Path.class);
                    if (sub != null) {
                        paths.add(root.value() + "/" + sub.value());
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("compiled classes not found under " + classes.toAbsolutePath(), e);
        }
        assertTrue(paths.size() >= 15, "found the routes: " + paths.size());
        for (String path : paths) {
            for (String segment : path.split("/")) {
                if (segment.startsWith("{")) {
                    assertTrue(MetricUriLabels.ROUTE_PARAMETERS.contains(segment), "parameter " + segment + " of " + path);
                } else if (!segment.isEmpty()) {
                    assertTrue(MetricUriLabels.ROUTE_WORDS.contains(segment), "route word '" + segment + "' of " + path);
                }
            }
            assertEquals(path, MetricUriLabels.mask(path), "a route template comes out as it is");
        }
    }
}
