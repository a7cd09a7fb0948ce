package be.audiencematch.redis;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every script declares the keys it is given in KEYS, so that on Redis Cluster a call names its slot (the service
 * routes each call to the primary of its slot: RedisConnections.withShared(slot, …)), and no script or helper builds
 * a key name from a key prefix passed in ARGV. Keys that only a record's contents name (a replaced subscriber's old
 * index buckets) are asked for by the script and named by the caller on a second call (docs/architecture.md,
 * "Scripts").
 */
class ScriptKeysTest {

    @Test
    void everyScriptDeclaresItsKeysAndNoneBuildsThemFromAPrefix() throws IOException {
        Set<String> without = new TreeSet<>();
        Set<String> fromPrefix = new TreeSet<>();
        try (Stream<Path> scripts = Files.list(Path.of("src/main/resources/redis"))) {
            for (Path script : scripts.filter(p -> p.toString().endsWith(".lua")).toList()) {
                String name = script.getFileName().toString().replace(".lua", "");
                String body = Files.readString(script);
                if (body.contains("local p = ARGV[1]") || body.contains("ARGV[1] ..") || body.contains("p .. '")) {
                    fromPrefix.add(name);
                }
                if (!name.endsWith("_lib") && !body.contains("KEYS[")) {
                    without.add(name);
                }
            }
        }
        assertEquals(Set.of(), without, "scripts that declare no keys");
        assertEquals(Set.of(), fromPrefix, "scripts and helpers that build keys from a prefix");
    }
}
