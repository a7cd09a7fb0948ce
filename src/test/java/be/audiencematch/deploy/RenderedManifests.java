package be.audiencematch.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The objects an overlay renders to: {@code kubectl kustomize k8s/overlays/NAME}, read into fabric8's Kubernetes
 * model. Kinds the model does not know (a CRD such as the ServiceMonitor, or a typo in apiVersion) come back as
 * {@code GenericKubernetesResource}; {@link ModelValidator} decides which of those are allowed.
 */
final class RenderedManifests {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private RenderedManifests() {
    }

    /** Renders an overlay with kubectl (CI installs it: .ci/run); fails with a clear message when it is missing. */
    static String render(Path overlay) {
        ProcessBuilder builder = new ProcessBuilder("kubectl", "kustomize", overlay.toString())
                .redirectErrorStream(false);
        try {
            Process process;
            try {
                process = builder.start();
            } catch (IOException missing) {
                throw new AssertionError("kubectl is not installed (needed to render " + overlay
                        + "): apt-get install kubectl, as .ci/run does", missing);
            }
            // Both streams read to the end before waiting, so that a large render never blocks on a full pipe.
            byte[] out = process.getInputStream().readAllBytes();
            byte[] err = process.getErrorStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("kubectl kustomize " + overlay + " did not finish within 60 s");
            }
            if (process.exitValue() != 0) {
                throw new AssertionError("kubectl kustomize " + overlay + " failed: "
                        + new String(err, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("reading kubectl's output for " + overlay, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while rendering " + overlay, e);
        }
    }

    /** Reads a multi-document YAML stream into model objects, one per document, in order. */
    static List<HasMetadata> parse(String yaml) {
        Object parsed = SERIALIZATION.unmarshal(yaml);
        List<HasMetadata> objects = new ArrayList<>();
        if (parsed instanceof List<?> list) {
            for (Object item : list) {
                add(objects, item);
            }
        } else {
            add(objects, parsed);
        }
        return objects;
    }

    private static void add(List<HasMetadata> objects, Object item) {
        if (item == null) {
            return;
        }
        if (item instanceof KubernetesList list) {
            objects.addAll(list.getItems());
        } else if (item instanceof HasMetadata resource) {
            objects.add(resource);
        } else {
            throw new AssertionError("not a Kubernetes object: " + item.getClass().getName());
        }
    }
}
