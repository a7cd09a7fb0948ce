package be.audiencematch.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The versioned secret keys behind Ads & Data pseudonyms. Kept in a JSON file that only this service reads
 * (a Kubernetes Secret in production, a generated file in dev), never in git:
 * <pre>{"current":"v2","keys":{"v1":"base64url…","v2":"base64url…"}}</pre>
 * Old versions stay in the ring so the partner's earlier exports can still be explained; only the current one signs.
 */
public record PseudonymKeyRing(String current, Map<String, byte[]> keys) {

    public static final int KEY_BYTES = 32;

    public PseudonymKeyRing {
        keys = Map.copyOf(keys);
        if (!keys.containsKey(current)) {
            throw new IllegalArgumentException("the key ring has no key for its current version");
        }
        keys.values().forEach(k -> {
            if (k.length < KEY_BYTES) {
                throw new IllegalArgumentException("pseudonym keys must have at least 32 bytes");
            }
        });
    }

    public byte[] currentKey() {
        return keys.get(current);
    }

    public static PseudonymKeyRing read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (root == null || !root.hasNonNull("current") || !root.has("keys")) {
            throw new IOException("a pseudonym key ring needs 'current' and 'keys'");
        }
        Map<String, byte[]> keys = new LinkedHashMap<>();
        root.get("keys").fields().forEachRemaining(e -> keys.put(e.getKey(),
                Base64.getUrlDecoder().decode(e.getValue().asText())));
        return new PseudonymKeyRing(root.get("current").asText(), keys);
    }

    public void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("current", current);
        ObjectNode keyNode = root.putObject("keys");
        keys.entrySet().stream().sorted(Map.Entry.comparingByKey(PseudonymKeyRing::compareVersions))
                .forEach(e -> keyNode.put(e.getKey(), Base64.getUrlEncoder().withoutPadding().encodeToString(e.getValue())));
        SecretFiles.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /** A ring with one fresh random key, version v1. */
    public static PseudonymKeyRing generate() {
        return new PseudonymKeyRing("v1", Map.of("v1", randomKey()));
    }

    /** This ring plus a fresh key under the next version, which becomes current. */
    public PseudonymKeyRing rotated() {
        int highest = keys.keySet().stream().mapToInt(PseudonymKeyRing::versionNumber).max().orElse(0);
        String next = "v" + (highest + 1);
        Map<String, byte[]> more = new LinkedHashMap<>(keys);
        more.put(next, randomKey());
        return new PseudonymKeyRing(next, more);
    }

    private static byte[] randomKey() {
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return key;
    }

    private static int versionNumber(String version) {
        try {
            return Integer.parseInt(version.startsWith("v") ? version.substring(1) : version);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int compareVersions(String a, String b) {
        return Integer.compare(versionNumber(a), versionNumber(b));
    }

    @Override
    public String toString() {
        return "PseudonymKeyRing[current=" + current + ", versions=" + keys.keySet() + "]";
    }
}
