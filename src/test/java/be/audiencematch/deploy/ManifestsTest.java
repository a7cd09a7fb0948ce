package be.audiencematch.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Renders each overlay with {@code kubectl kustomize} and checks every object against fabric8's Kubernetes model,
 * against the other objects, and against the application (docs/operations.md, "Deploy"). ManifestCheckersTest shows
 * that each check fails on a broken manifest.
 */
class ManifestsTest {

    private static final Path PROJECT = Path.of("").toAbsolutePath();
    private static ApplicationFacts app;

    @BeforeAll
    static void readApplication() throws Exception {
        app = ApplicationFacts.read(PROJECT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void overlayRendersToValidObjectsThatAgreeWithTheApplication(String overlay) {
        List<HasMetadata> objects = RenderedManifests.parse(RenderedManifests.render(PROJECT.resolve("k8s/overlays/" + overlay)));
        assertTrue(objects.size() >= 15, "rendered only " + objects.size() + " objects");

        List<String> problems = new ArrayList<>();
        problems.addAll(ModelValidator.validate(objects));
        problems.addAll(ReferenceChecks.check(objects, app.operationsDoc()));
        problems.addAll(ApplicationAgreement.check(objects, app));
        problems.addAll(redisCluster(objects));
        problems.addAll(ReferenceChecks.alertMetrics(objects, architectureDoc()));
        assertEquals(List.of(), problems, overlay + ": " + String.join("\n", problems));
    }

    static String architectureDoc() {
        try {
            return java.nio.file.Files.readString(PROJECT.resolve("docs/architecture.md"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Six nodes formed into three primaries with a replica each, AOF on, maxmemory under the memory limit. */
    static List<String> redisCluster(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        StatefulSet redis = objects.stream().filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast)
                .findFirst().orElse(null);
        if (redis == null) {
            return List.of("no Redis StatefulSet");
        }
        if (redis.getSpec().getReplicas() != 6) {
            problems.add("Redis runs " + redis.getSpec().getReplicas() + " nodes, not 6 (3 primaries + 3 replicas)");
        }
        String conf = objects.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
                .filter(c -> c.getData().containsKey("redis.conf")).map(c -> c.getData().get("redis.conf"))
                .findFirst().orElse("");
        for (String line : List.of("appendonly yes", "appendfsync everysec", "cluster-enabled yes", "port 0",
                "tls-replication yes", "tls-cluster yes", "aclfile /etc/redis/users/users.acl")) {
            if (conf.lines().noneMatch(line::equals)) {
                problems.add("redis.conf lacks \"" + line + "\"");
            }
        }
        var container = redis.getSpec().getTemplate().getSpec().getContainers().get(0);
        int at = container.getArgs().indexOf("--maxmemory");
        if (at < 0) {
            problems.add("Redis has no --maxmemory");
        } else {
            var maxmemory = Quantity.getAmountInBytes(new Quantity(container.getArgs().get(at + 1).replace("gb", "Gi").replace("mb", "Mi")));
            var limit = Quantity.getAmountInBytes(container.getResources().getLimits().get("memory"));
            if (maxmemory.compareTo(limit) >= 0) {
                problems.add("Redis --maxmemory " + container.getArgs().get(at + 1) + " is not under its memory limit");
            }
        }
        boolean forms = objects.stream().filter(Job.class::isInstance).map(Job.class::cast)
                .flatMap(job -> job.getSpec().getTemplate().getSpec().getContainers().stream())
                .anyMatch(c -> String.join(" ", c.getArgs()).contains("--cluster-replicas 1"));
        if (!forms) {
            problems.add("no Job forms the cluster with --cluster-replicas 1");
        }
        return problems;
    }
}
