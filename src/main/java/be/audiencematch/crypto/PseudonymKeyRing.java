package be.audiencematch.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The versioned secret keys behind Ads & Data pseudonyms. Kept in a JSON file that only this service reads
 * (a Kubernetes Secret in production, a generated file in dev), never in git:
 * <pre>{"current":"v2","keys":{"v1":"base64url…","v2":"base64url…"},
 *  "created_at":{"v1":"2025-01-06T09:00:00Z","v2":"2026-01-05T09:00:00Z"}}</pre>
 * Old versions stay in the ring so the partner's earlier exports can still be explained; only the current one signs.
 * {@code created_at} lets the service refuse a current key older than the policy allows (KeyAge); a ring written
 * before it existed has none, and its versions' ages are unknown.
 */
public record PseudonymKeyRing(String current, Map<String, byte[]> keys, Map<String, Instant> createdAt) {

    public static final int KEY_BYTES = 32;

    public PseudonymKeyRing(String current, Map<String, byte[]> keys) {
        this(current, keys, Map.of());
    }

    public PseudonymKeyRing {
        keys = Map.copyOf(keys);
        createdAt = Map.copyOf(createdAt);
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

    /** When the current version was made; empty for a ring written before versions carried the date. */
    public Optional<Instant> currentCreatedAt() {
        return Optional.ofNullable(createdAt.get(current));
    }

    public static PseudonymKeyRing read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (root == null || !root.hasNonNull("current") || !root.has("keys")) {
            throw new IOException("a pseudonym key ring needs 'current' and 'keys'");
        }
        Map<String, byte[]> keys = new LinkedHashMap<>();
        root.get("keys").fields().forEachRemaining(e -> keys.put(e.getKey(),
                Base64.getUrlDecoder().decode(e.getValue().asText())));
        Map<String, Instant> created = new LinkedHashMap<>();
        JsonNode dates = root.get("created_at");
        if (dates != null && dates.isObject()) {
            for (var e : (Iterable<Map.Entry<String, JsonNode>>) dates::fields) {
                try {
                    created.put(e.getKey(), Instant.parse(e.getValue().asText()));
                } catch (DateTimeParseException unreadable) {
                    // read as unknown: the service warns about it at start
                }
            }
        }
        return new PseudonymKeyRing(root.get("current").asText(), keys, created);
    }

    public void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("current", current);
        ObjectNode keyNode = root.putObject("keys");
        keys.entrySet().stream().sorted(Map.Entry.comparingByKey(PseudonymKeyRing::compareVersions))
                .forEach(e -> keyNode.put(e.getKey(), Base64.getUrlEncoder().withoutPadding().encodeToString(e.getValue())));
        if (!createdAt.isEmpty()) {
            ObjectNode dates = root.putObject("created_at");
            createdAt.entrySet().stream().sorted(Map.Entry.comparingByKey(PseudonymKeyRing::compareVersions))
                    .forEach(e -> dates.put(e.getKey(), e.getValue().toString()));
        }
        SecretFiles.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }

    /** A ring with one fresh random key, version v1, made now. */
    public static PseudonymKeyRing generate() {
        return generate(Clock.systemUTC());
    }

    public static PseudonymKeyRing generate(Clock clock) {
        return new PseudonymKeyRing("v1", Map.of("v1", randomKey()), Map.of("v1", now(clock)));
    }

    /** This ring plus a fresh key under the next version, made now, which becomes current. */
    public PseudonymKeyRing rotated() {
        return rotated(Clock.systemUTC());
    }

    public PseudonymKeyRing rotated(Clock clock) {
        int highest = keys.keySet().stream().mapToInt(PseudonymKeyRing::versionNumber).max().orElse(0);
        String next = "v" + (highest + 1);
        Map<String, byte[]> more = new LinkedHashMap<>(keys);
        more.put(next, randomKey());
        Map<String, Instant> dates = new LinkedHashMap<>(createdAt);
        dates.put(next, now(clock));
        return new PseudonymKeyRing(next, more, dates);
    }

    private static Instant now(Clock clock) {
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
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
