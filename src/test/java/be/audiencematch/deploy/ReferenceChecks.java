package be.audiencematch.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What the objects say about each other: every selector selects a workload, every port named exists, every
 * ConfigMap referenced is rendered, no Secret is shipped and every Secret referenced (with its keys) is one that
 * docs/operations.md tells how to create; and the hardening each pod must have.
 */
final class ReferenceChecks {

    private ReferenceChecks() {
    }

    static List<String> check(List<HasMetadata> objects, String operationsDoc) {
        List<String> problems = new ArrayList<>();
        List<HasMetadata> workloads = objects.stream().filter(o -> Workloads.anyPodTemplate(o).isPresent()).toList();
        for (HasMetadata object : objects) {
            String name = object.getKind() + "/" + object.getMetadata().getName();
            if (object instanceof Secret) {
                problems.add(name + ": a Secret in the manifests would overwrite the real one on apply; document "
                        + "its kubectl create secret command in docs/operations.md instead");
            } else if (object instanceof Service service) {
                checkService(name, service, workloads, problems);
            } else if (object instanceof PodDisruptionBudget budget
                    && workloads.stream().noneMatch(w -> Selectors.matches(budget.getSpec().getSelector(), Workloads.podLabels(w)))) {
                problems.add(name + ": its selector selects no workload");
            } else if (object instanceof NetworkPolicy policy
                    && workloads.stream().noneMatch(w -> Selectors.matches(policy.getSpec().getPodSelector(), Workloads.podLabels(w)))) {
                problems.add(name + ": its podSelector selects no workload");
            } else if (object instanceof HorizontalPodAutoscaler autoscaler) {
                var target = autoscaler.getSpec().getScaleTargetRef();
                if (objects.stream().noneMatch(o -> o.getKind().equals(target.getKind())
                        && o.getMetadata().getName().equals(target.getName()))) {
                    problems.add(name + ": scaleTargetRef " + target.getKind() + "/" + target.getName() + " is not rendered");
                }
            } else if (object instanceof GenericKubernetesResource monitor && "ServiceMonitor".equals(monitor.getKind())) {
                checkServiceMonitor(name, monitor, objects, problems);
            }
        }
        Map<String, Set<String>> secretKeys = new TreeMap<>();
        for (HasMetadata workload : workloads) {
            String name = workload.getKind() + "/" + workload.getMetadata().getName();
            PodSpec pod = Workloads.anyPodTemplate(workload).orElseThrow().getSpec();
            hardening(name, pod, problems);
            pod.getVolumes().stream().filter(v -> v.getSecret() != null).forEach(v -> {
                var keys = secretKeys.computeIfAbsent(v.getSecret().getSecretName(), k -> new TreeSet<>());
                if (v.getSecret().getItems() != null) {
                    v.getSecret().getItems().forEach(item -> keys.add(item.getKey()));
                }
            });
            pod.getVolumes().stream().filter(v -> v.getConfigMap() != null)
                    .forEach(v -> configMapExists(name, v.getConfigMap().getName(), objects, problems));
            for (Container container : Workloads.containers(workload)) {
                container.getEnvFrom().forEach(source -> {
                    if (source.getConfigMapRef() != null) {
                        configMapExists(name, source.getConfigMapRef().getName(), objects, problems);
                    }
                    if (source.getSecretRef() != null) {
                        secretKeys.computeIfAbsent(source.getSecretRef().getName(), k -> new TreeSet<>());
                    }
                });
                container.getEnv().stream().filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                        .forEach(e -> secretKeys.computeIfAbsent(e.getValueFrom().getSecretKeyRef().getName(),
                                k -> new TreeSet<>()).add(e.getValueFrom().getSecretKeyRef().getKey()));
            }
        }
        secretKeys.forEach((secret, keys) -> documented(secret, keys, operationsDoc, problems));
        return problems;
    }

    private static void checkService(String name, Service service, List<HasMetadata> workloads, List<String> problems) {
        Map<String, String> selector = service.getSpec().getSelector();
        List<HasMetadata> selected = workloads.stream()
                .filter(w -> Selectors.matches(selector, Workloads.podLabels(w))).toList();
        if (selected.isEmpty()) {
            problems.add(name + ": its selector " + selector + " selects no workload");
            return;
        }
        for (var port : service.getSpec().getPorts()) {
            var target = port.getTargetPort();
            if (target != null && target.getStrVal() != null && selected.stream().flatMap(w -> Workloads.containers(w).stream())
                    .flatMap(c -> c.getPorts().stream()).noneMatch(p -> target.getStrVal().equals(p.getName()))) {
                problems.add(name + ": targetPort " + target.getStrVal() + " is no container port of the selected pods");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void checkServiceMonitor(String name, GenericKubernetesResource monitor, List<HasMetadata> objects,
                                            List<String> problems) {
        // Its shape is ModelValidator's to check; here only what it points at.
        if (!(monitor.getAdditionalProperties().get("spec") instanceof Map<?, ?> raw)
                || !(raw.get("selector") instanceof Map<?, ?> selector) || !(raw.get("endpoints") instanceof List<?>)) {
            return;
        }
        Map<String, Object> spec = (Map<String, Object>) raw;
        Map<String, String> labels = (Map<String, String>) selector.get("matchLabels");
        List<Service> services = objects.stream().filter(Service.class::isInstance).map(Service.class::cast)
                .filter(s -> Selectors.matches(labels, s.getMetadata().getLabels())).toList();
        if (services.isEmpty()) {
            problems.add(name + ": selects no Service");
        }
        for (Map<String, Object> endpoint : (List<Map<String, Object>>) spec.get("endpoints")) {
            if (services.stream().flatMap(s -> s.getSpec().getPorts().stream())
                    .noneMatch(p -> String.valueOf(endpoint.get("port")).equals(p.getName()))) {
                problems.add(name + ": endpoint port " + endpoint.get("port") + " is not a port of the selected Service");
            }
        }
    }

    private static void configMapExists(String name, String configMap, List<HasMetadata> objects, List<String> problems) {
        if (objects.stream().noneMatch(o -> o instanceof ConfigMap && o.getMetadata().getName().equals(configMap))) {
            problems.add(name + ": ConfigMap " + configMap + " is not rendered");
        }
    }

    /** The pod runs as no root, cannot gain privileges, writes nowhere but its volumes, and holds no API token. */
    private static void hardening(String name, PodSpec pod, List<String> problems) {
        var podSecurity = pod.getSecurityContext();
        if (!Boolean.FALSE.equals(pod.getAutomountServiceAccountToken())) {
            problems.add(name + ": automountServiceAccountToken must be false");
        }
        if (podSecurity == null || podSecurity.getSeccompProfile() == null
                || !"RuntimeDefault".equals(podSecurity.getSeccompProfile().getType())) {
            problems.add(name + ": seccompProfile RuntimeDefault is missing");
        }
        for (Container container : pod.getContainers()) {
            var security = container.getSecurityContext();
            String where = name + " container " + container.getName();
            boolean nonRoot = Boolean.TRUE.equals(security == null ? null : security.getRunAsNonRoot())
                    || (podSecurity != null && Boolean.TRUE.equals(podSecurity.getRunAsNonRoot()));
            if (!nonRoot) {
                problems.add(where + ": runAsNonRoot must be true");
            }
            if (security == null || !Boolean.TRUE.equals(security.getReadOnlyRootFilesystem())
                    || !Boolean.FALSE.equals(security.getAllowPrivilegeEscalation())
                    || security.getCapabilities() == null || !security.getCapabilities().getDrop().contains("ALL")) {
                problems.add(where + ": needs readOnlyRootFilesystem, no privilege escalation and capabilities drop ALL");
            }
            var resources = container.getResources();
            if (resources == null || resources.getLimits() == null || !resources.getLimits().containsKey("memory")
                    || resources.getRequests() == null || !resources.getRequests().containsKey("memory")) {
                problems.add(where + ": memory request and limit are required");
            } else {
                try {
                    if (Quantity.getAmountInBytes(resources.getRequests().get("memory"))
                            .compareTo(Quantity.getAmountInBytes(resources.getLimits().get("memory"))) > 0) {
                        problems.add(where + ": memory request above its limit");
                    }
                } catch (IllegalArgumentException unparsable) {
                    // ModelValidator reports the quantity itself.
                }
            }
        }
    }

    /** The Secret has a kubectl create secret command in docs/operations.md that gives it every key used. */
    private static void documented(String secret, Set<String> keys, String doc, List<String> problems) {
        String joined = doc.replaceAll("\\\\\\n\\s*", " ");
        var command = Pattern.compile("kubectl create secret generic " + Pattern.quote(secret) + "(\\s[^\\n]*)?\\n")
                .matcher(joined);
        if (!command.find()) {
            problems.add("Secret " + secret + " is referenced but docs/operations.md has no `kubectl create secret generic "
                    + secret + "` command");
            return;
        }
        String arguments = command.group(1) == null ? "" : command.group(1);
        for (String key : keys) {
            if (!Pattern.compile("--from-(file|literal)=" + Pattern.quote(key) + "(\\s|=|$)").matcher(arguments).find()) {
                problems.add("Secret " + secret + ": key " + key + " is used but its documented command does not create it");
            }
        }
    }

    /**
     * Every metric of the service's own that an alert rule reads is one docs/architecture.md ("Metrics") lists, so
     * that a renamed metric cannot leave an alert that never fires.
     */
    @SuppressWarnings("unchecked")
    static List<String> alertMetrics(List<HasMetadata> objects, String architectureDoc) {
        List<String> problems = new ArrayList<>();
        var metric = Pattern.compile("\\baudience_match_[a-z_]+");
        for (HasMetadata object : objects) {
            if (object instanceof GenericKubernetesResource rule && "PrometheusRule".equals(rule.getKind())
                    && rule.getAdditionalProperties().get("spec") instanceof Map<?, ?> spec
                    && spec.get("groups") instanceof List<?> groups) {
                for (Object group : groups) {
                    for (Map<String, Object> each : (List<Map<String, Object>>) ((Map<String, Object>) group).get("rules")) {
                        var used = metric.matcher(String.valueOf(each.get("expr")));
                        while (used.find()) {
                            if (!architectureDoc.contains("`" + used.group())
                                    && !architectureDoc.contains(used.group().replaceAll("_total$", "") + "_total`")) {
                                problems.add("PrometheusRule rule " + each.get("alert") + " reads " + used.group()
                                        + ", which docs/architecture.md's metrics do not list");
                            }
                        }
                    }
                }
            }
        }
        return problems;
    }

    static boolean hasPort(Container container, String name, int number) {
        return container.getPorts().stream().anyMatch(p -> name.equals(p.getName()) && p.getContainerPort() == number);
    }

    static Integer portNumber(Container container, String name) {
        return container.getPorts().stream().filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort)
                .findFirst().orElse(null);
    }
}
