package be.audiencematch.deploy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;

import java.util.List;
import java.util.Map;

/** Kubernetes' label selector semantics (matchLabels and matchExpressions), to check what a selector selects. */
final class Selectors {

    private Selectors() {
    }

    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        Map<String, String> actual = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (var entry : selector.getMatchLabels().entrySet()) {
                if (!entry.getValue().equals(actual.get(entry.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
                if (!matches(requirement, actual)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A Service's selector: plain labels. */
    static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels != null
                && labels.entrySet().containsAll(selector.entrySet());
    }

    private static boolean matches(LabelSelectorRequirement requirement, Map<String, String> labels) {
        String value = labels.get(requirement.getKey());
        List<String> values = requirement.getValues() == null ? List.of() : requirement.getValues();
        return switch (requirement.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            default -> throw new AssertionError("unknown selector operator " + requirement.getOperator());
        };
    }
}
