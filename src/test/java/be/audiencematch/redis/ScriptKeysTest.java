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
 * routes each call to the primary of its slot: RedisConnections.withShared(slot, …)). The scripts below still take
 * the key prefix in ARGV and build their keys from it and from what they read (records name their index buckets):
 * the subscriber writes, the bulk load and the right-of-access read, which the sharded layout rewrites as per-shard
 * steps (docs/scaling.md, "The sharded layout, in detail"). The list only shrinks: a script that starts declaring its
 * keys fails this test until it is taken off.
 */
class ScriptKeysTest {

    private static final Set<String> STILL_BUILDING_KEYS_FROM_A_PREFIX = Set.of(
            "bulk_guard", "bulk_households", "bulk_identifiers", "bulk_loaded", "bulk_records",
            "subscriber_erase", "subscriber_upsert");

    @Test
    void everyScriptButTheListedOnesDeclaresItsKeys() throws IOException {
        Set<String> without = new TreeSet<>();
        try (Stream<Path> scripts = Files.list(Path.of("src/main/resources/redis"))) {
            for (Path script : scripts.filter(p -> p.toString().endsWith(".lua")).toList()) {
                String name = script.getFileName().toString().replace(".lua", "");
                if (name.endsWith("_lib") || name.endsWith("_prelude")) {
                    continue;   // helpers prepended to scripts, never run alone
                }
                String body = Files.readString(script);
                if (!body.contains("KEYS[") || body.contains("local p = ARGV[1]") || body.contains("ARGV[1] ..")) {
                    without.add(name);
                }
            }
        }
        assertEquals(new TreeSet<>(STILL_BUILDING_KEYS_FROM_A_PREFIX), without);
    }
}
