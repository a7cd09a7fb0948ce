package be.audiencematch.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The pod templates of the workload kinds the manifests use, found the same way for each. */
final class Workloads {

    private Workloads() {
    }

    static Optional<PodTemplateSpec> podTemplate(HasMetadata object) {
        if (object instanceof Deployment deployment && deployment.getSpec() != null) {
            return Optional.ofNullable(deployment.getSpec().getTemplate());
        }
        if (object instanceof StatefulSet statefulSet && statefulSet.getSpec() != null) {
            return Optional.ofNullable(statefulSet.getSpec().getTemplate());
        }
        return Optional.empty();
    }

    /** The pod template of any workload, a Job's too (whose selector Kubernetes makes itself). */
    static Optional<PodTemplateSpec> anyPodTemplate(HasMetadata object) {
        if (object instanceof Job job && job.getSpec() != null) {
            return Optional.ofNullable(job.getSpec().getTemplate());
        }
        return podTemplate(object);
    }

    static LabelSelector selector(HasMetadata object) {
        if (object instanceof Deployment deployment) {
            return deployment.getSpec().getSelector();
        }
        if (object instanceof StatefulSet statefulSet) {
            return statefulSet.getSpec().getSelector();
        }
        return null;
    }

    static List<Container> containers(HasMetadata object) {
        List<Container> containers = new ArrayList<>();
        anyPodTemplate(object).map(PodTemplateSpec::getSpec).ifPresent(spec -> {
            containers.addAll(spec.getContainers());
            containers.addAll(spec.getInitContainers());
        });
        return containers;
    }

    static Map<String, String> podLabels(HasMetadata object) {
        return anyPodTemplate(object)
                .map(template -> template.getMetadata() == null ? null : template.getMetadata().getLabels())
                .orElse(Map.of());
    }
}
