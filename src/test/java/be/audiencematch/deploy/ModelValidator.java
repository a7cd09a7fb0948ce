package be.audiencematch.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checks rendered objects against fabric8's Kubernetes model. Reading a document into the model is not enough: the
 * model keeps fields it does not know in {@code additionalProperties} instead of refusing them, so a misspelt
 * {@code readinesProbe} would pass unnoticed. This walks every object and reports any such field, any quantity
 * that does not parse, any kind the model does not know (bar the ServiceMonitor CRD, checked against its own shape),
 * and the required fields the deployment depends on.
 */
final class ModelValidator {

    private static final ObjectMapper STRICT = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    private ModelValidator() {
    }

    /** Every problem found in the objects, each naming the object and the field; empty when all are valid. */
    static List<String> validate(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        for (HasMetadata object : objects) {
            String name = object.getKind() + "/" + (object.getMetadata() == null ? "?" : object.getMetadata().getName());
            if (object.getMetadata() == null || blank(object.getMetadata().getName())) {
                problems.add(name + ": metadata.name is missing");
            }
            if (object instanceof GenericKubernetesResource generic) {
                checkCustomResource(name, generic, problems);
                continue;
            }
            walk(object, name, problems);
            requiredFields(name, object, problems);
        }
        return problems;
    }

    private static void walk(Object node, String path, List<String> problems) {
        if (node == null || node instanceof String || node instanceof Number || node instanceof Boolean
                || node instanceof Enum<?>) {
            return;
        }
        if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                walk(list.get(i), path + "[" + i + "]", problems);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> walk(value, path + "[" + key + "]", problems));
            return;
        }
        if (node instanceof Quantity quantity) {
            try {
                Quantity.getAmountInBytes(quantity);
            } catch (RuntimeException e) {
                problems.add(path + ": not a quantity: " + quantity);
            }
        }
        if (!node.getClass().getName().startsWith("io.fabric8.")) {
            problems.add(path + ": unexpected value of type " + node.getClass().getName());
            return;
        }
        for (Class<?> type = node.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())) {
                    continue;
                }
                field.setAccessible(true);
                Object value;
                try {
                    value = field.get(node);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                if (field.getName().equals("additionalProperties")) {
                    if (value instanceof Map<?, ?> unknown && !unknown.isEmpty()) {
                        problems.add(path + ": unknown field(s) " + unknown.keySet());
                    }
                } else if (!(node instanceof IntOrString)) {
                    walk(value, path + "." + field.getName(), problems);
                }
            }
        }
    }

    /** The fields without which the objects would be accepted by the model but not do their job. */
    private static void requiredFields(String name, HasMetadata object, List<String> problems) {
        for (Container container : Workloads.containers(object)) {
            String where = name + " container " + container.getName();
            if (blank(container.getName())) {
                problems.add(name + ": a container has no name");
            }
            if (blank(container.getImage())) {
                problems.add(where + ": image is missing");
            }
            Stream.of(container.getStartupProbe(), container.getReadinessProbe(), container.getLivenessProbe())
                    .filter(probe -> probe != null && handlers(probe) != 1)
                    .forEach(probe -> problems.add(where + ": a probe needs exactly one of httpGet, exec, tcpSocket, grpc"));
        }
        Workloads.podTemplate(object).ifPresent(template -> {
            var selector = Workloads.selector(object);
            var labels = template.getMetadata() == null ? null : template.getMetadata().getLabels();
            if (selector == null || !Selectors.matches(selector, labels)) {
                problems.add(name + ": spec.selector does not select the pod template's labels");
            }
        });
    }

    private static int handlers(Probe probe) {
        return (probe.getHttpGet() != null ? 1 : 0) + (probe.getExec() != null ? 1 : 0)
                + (probe.getTcpSocket() != null ? 1 : 0) + (probe.getGrpc() != null ? 1 : 0);
    }

    /** The custom resources the manifests use; anything else unknown to the model is a mistake. */
    private static void checkCustomResource(String name, GenericKubernetesResource resource, List<String> problems) {
        boolean monitoring = "monitoring.coreos.com/v1".equals(resource.getApiVersion());
        if (monitoring && "PrometheusRule".equals(resource.getKind())) {
            checkPrometheusRule(name, resource, problems);
            return;
        }
        if (!monitoring || !"ServiceMonitor".equals(resource.getKind())) {
            problems.add(name + ": apiVersion " + resource.getApiVersion() + " kind " + resource.getKind()
                    + " is not a Kubernetes kind the model knows, nor a Prometheus Operator CRD the manifests use");
            return;
        }
        Map<String, Object> fields = resource.getAdditionalProperties();
        Object spec = fields.get("spec");
        var unknownTop = new ArrayList<>(fields.keySet());
        unknownTop.remove("spec");
        if (!unknownTop.isEmpty()) {
            problems.add(name + ": unknown field(s) " + unknownTop);
        }
        try {
            ServiceMonitorSpec typed = STRICT.convertValue(spec, ServiceMonitorSpec.class);
            if (typed == null || typed.selector() == null || typed.endpoints() == null || typed.endpoints().isEmpty()) {
                problems.add(name + ": spec.selector and at least one spec.endpoints entry are required");
            } else if (typed.endpoints().stream().anyMatch(endpoint -> blank(endpoint.port()))) {
                problems.add(name + ": every endpoint names the Service port to scrape (port)");
            }
        } catch (IllegalArgumentException e) {
            problems.add(name + ": not a ServiceMonitor spec: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static void checkPrometheusRule(String name, GenericKubernetesResource resource, List<String> problems) {
        var unknownTop = new ArrayList<>(resource.getAdditionalProperties().keySet());
        unknownTop.remove("spec");
        if (!unknownTop.isEmpty()) {
            problems.add(name + ": unknown field(s) " + unknownTop);
        }
        try {
            PrometheusRuleSpec typed = STRICT.convertValue(resource.getAdditionalProperties().get("spec"),
                    PrometheusRuleSpec.class);
            if (typed == null || typed.groups() == null || typed.groups().isEmpty()) {
                problems.add(name + ": spec.groups is required");
                return;
            }
            for (RuleGroup group : typed.groups()) {
                if (blank(group.name()) || group.rules() == null || group.rules().isEmpty()) {
                    problems.add(name + ": every group needs a name and rules");
                    continue;
                }
                group.rules().stream().filter(rule -> blank(rule.expr()) || blank(rule.alert()) == blank(rule.record()))
                        .forEach(rule -> problems.add(name + ": a rule needs expr and exactly one of alert, record"));
            }
        } catch (IllegalArgumentException e) {
            problems.add(name + ": not a PrometheusRule spec: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /** The part of monitoring.coreos.com/v1 ServiceMonitor's spec these manifests may use. */
    record ServiceMonitorSpec(Selector selector, NamespaceSelector namespaceSelector, String jobLabel,
                              List<Endpoint> endpoints) {
    }

    record Selector(Map<String, String> matchLabels, List<Map<String, Object>> matchExpressions) {
    }

    record NamespaceSelector(Boolean any, List<String> matchNames) {
    }

    /** The part of monitoring.coreos.com/v1 PrometheusRule's spec these manifests may use. */
    record PrometheusRuleSpec(List<RuleGroup> groups) {
    }

    record RuleGroup(String name, String interval, List<Rule> rules) {
    }

    record Rule(String alert, String record, String expr, @com.fasterxml.jackson.annotation.JsonProperty("for") String pending,
                Map<String, String> labels, Map<String, String> annotations) {
    }

    record Endpoint(String port, String path, String scheme, String interval, String scrapeTimeout,
                    Boolean honorLabels) {
    }
}
