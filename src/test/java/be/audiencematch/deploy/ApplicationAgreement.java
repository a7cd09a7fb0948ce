package be.audiencematch.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The service's Deployment against what the application reads (ApplicationFacts): probes on the management port at
 * SmallRye Health's paths, every variable one the application reads, every setting production needs set, every key
 * file mounted from a Secret, the build's image, and a termination grace that covers the graceful shutdown.
 */
final class ApplicationAgreement {

    static final String SERVICE = "audience-match";

    private ApplicationAgreement() {
    }

    static List<String> check(List<HasMetadata> objects, ApplicationFacts app) {
        List<String> problems = new ArrayList<>();
        Deployment deployment = objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .filter(d -> d.getMetadata().getName().equals(SERVICE)).findFirst().orElse(null);
        if (deployment == null) {
            return List.of("Deployment/" + SERVICE + " is not rendered");
        }
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container container = pod.getContainers().stream().filter(c -> c.getName().equals(SERVICE)).findFirst().orElse(null);
        if (container == null) {
            return List.of("Deployment/" + SERVICE + " has no container " + SERVICE);
        }
        Map<String, String> env = environment(container, objects, problems);
        int management = Integer.parseInt(env.getOrDefault("QUARKUS_MANAGEMENT_PORT", String.valueOf(app.managementPort())));
        int http = Integer.parseInt(env.getOrDefault("QUARKUS_HTTP_PORT", String.valueOf(app.httpPort())));
        if (!app.managementEnabledInProd()) {
            problems.add("the prod profile does not enable the management interface, which the probes use");
        }
        if (!ReferenceChecks.hasPort(container, "http", http)) {
            problems.add("container port http is not the application's HTTP port " + http);
        }
        probe("startupProbe", container.getStartupProbe(), app.startedPath(), management, container, problems);
        probe("readinessProbe", container.getReadinessProbe(), app.readyPath(), management, container, problems);
        probe("livenessProbe", container.getLivenessProbe(), app.livePath(), management, container, problems);

        env.keySet().stream().filter(name -> !app.reads(name)).forEach(name -> problems.add(
                "variable " + name + " is not one the application reads (application.properties, its configuration names)"));
        for (String required : app.requiredInProd()) {
            String value = env.get(required);
            if (value == null || value.isBlank()) {
                problems.add("production needs " + required + " (application.properties has no production default); "
                        + "set it in the ConfigMap or from a Secret");
            }
        }
        env.forEach((name, value) -> {
            if (name.endsWith("_FILE") || value.startsWith("/etc/")) {
                mountedFromSecret(name, value, container, pod, problems);
            }
        });
        if (!"false".equals(env.get("AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT"))) {
            problems.add("AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT must be \"false\" in every shipped overlay");
        }
        if ("true".equals(env.get("AUDIENCE_MATCH_REDIS_CLUSTER"))
                && !env.getOrDefault("AUDIENCE_MATCH_REDIS_KEY_PREFIX", "").matches("\\{[^}]+}.*")) {
            // The service would run (it gives such a prefix a tag of its own: am:{base}:…), but outside the key
            // pattern the shipped Redis ACL user has (~{am}:*, k8s/base/service/configmap.yaml).
            problems.add("on Redis Cluster AUDIENCE_MATCH_REDIS_KEY_PREFIX needs a hash tag such as {am}: here: the "
                    + "Redis ACL user's key pattern is ~{am}:*, and a prefix without one names keys am:{base}:…");
        }
        String image = container.getImage();
        String expected = app.imageRepository() + ":" + app.imageTag();
        if (app.imageRepository() == null || !(image.equals(expected) || image.endsWith("/" + expected))) {
            problems.add("image " + image + " is not the build's image " + expected + " (pom.xml quarkus.container-image.*)");
        }
        shutdown(deployment, container, env, problems);
        return problems;
    }

    /** The container's variables: the ConfigMaps of envFrom, then env (which wins); Secret values as "secret:NAME". */
    private static Map<String, String> environment(Container container, List<HasMetadata> objects, List<String> problems) {
        Map<String, String> env = new LinkedHashMap<>();
        container.getEnvFrom().forEach(source -> {
            if (source.getConfigMapRef() != null) {
                objects.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
                        .filter(c -> c.getMetadata().getName().equals(source.getConfigMapRef().getName()))
                        .forEach(c -> env.putAll(c.getData()));
            } else {
                problems.add("envFrom of a Secret: every key would become a variable; name each with secretKeyRef");
            }
        });
        container.getEnv().forEach(variable -> env.put(variable.getName(), variable.getValue() != null
                ? variable.getValue()
                : variable.getValueFrom() != null && variable.getValueFrom().getSecretKeyRef() != null
                ? "secret:" + variable.getValueFrom().getSecretKeyRef().getName() : ""));
        return env;
    }

    private static void probe(String kind, Probe probe, String path, int port, Container container, List<String> problems) {
        if (probe == null || probe.getHttpGet() == null) {
            problems.add(kind + " must be an httpGet on " + path);
            return;
        }
        HTTPGetAction get = probe.getHttpGet();
        Integer number = get.getPort().getIntVal() != null ? get.getPort().getIntVal()
                : ReferenceChecks.portNumber(container, get.getPort().getStrVal());
        if (!path.equals(get.getPath())) {
            problems.add(kind + " path " + get.getPath() + " is not SmallRye Health's " + path);
        }
        if (number == null || number != port) {
            String named = get.getPort().getIntVal() != null ? String.valueOf(get.getPort().getIntVal()) : get.getPort().getStrVal();
            problems.add(kind + " port " + named + " is not the management port " + port);
        }
    }

    /** A file the application reads is in a mounted Secret (or ConfigMap) volume, and the volume gives that file. */
    private static void mountedFromSecret(String name, String file, Container container, PodSpec pod, List<String> problems) {
        var mount = container.getVolumeMounts().stream()
                .filter(m -> file.startsWith(m.getMountPath().endsWith("/") ? m.getMountPath() : m.getMountPath() + "/"))
                .findFirst();
        if (mount.isEmpty()) {
            problems.add(name + "=" + file + " is under no mounted volume");
            return;
        }
        String relative = file.substring(mount.get().getMountPath().length()).replaceFirst("^/", "");
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.get().getName())).findFirst().orElse(null);
        if (volume == null || (volume.getSecret() == null && volume.getConfigMap() == null)) {
            problems.add(name + "=" + file + " is not in a Secret or ConfigMap volume");
        } else if (volume.getSecret() != null && volume.getSecret().getItems() != null
                && volume.getSecret().getItems().stream().noneMatch(item -> item.getPath().equals(relative))) {
            problems.add(name + "=" + file + ": volume " + volume.getName() + " does not give " + relative);
        }
    }

    /** preStop + QUARKUS_SHUTDOWN_TIMEOUT fit in terminationGracePeriodSeconds, else the kubelet kills mid-request. */
    private static void shutdown(Deployment deployment, Container container, Map<String, String> env, List<String> problems) {
        String timeout = env.get("QUARKUS_SHUTDOWN_TIMEOUT");
        if (timeout == null) {
            problems.add("QUARKUS_SHUTDOWN_TIMEOUT is not set: in-flight requests get no bound on SIGTERM");
            return;
        }
        long shutdown = Duration.parse("PT" + timeout.toUpperCase()).getSeconds();
        var preStop = container.getLifecycle() == null ? null : container.getLifecycle().getPreStop();
        long pause = preStop == null || preStop.getSleep() == null ? 0 : preStop.getSleep().getSeconds();
        Long grace = deployment.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        if (grace == null || grace <= pause + shutdown) {
            problems.add("terminationGracePeriodSeconds " + grace + " does not exceed preStop " + pause
                    + " s + QUARKUS_SHUTDOWN_TIMEOUT " + shutdown + " s");
        }
    }
}
