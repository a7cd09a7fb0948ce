package be.audiencematch.support;

import be.audiencematch.cli.LocalKeys;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Starts what the service needs for a test run: its own redis-server and a freshly generated token key pair.
 * The service's log goes to a file too, so tests can check that no personal data reaches it.
 */
public class TestEnvironment implements QuarkusTestResourceLifecycleManager {

    private static RedisServer redis;
    private static LocalKeys keys;
    private static Path logFile;
    private static Path exportKeyDir;

    @Override
    public synchronized Map<String, String> start() {
        try {
            if (redis == null) {
                redis = new RedisServer().start();
                Path keyDir = Files.createTempDirectory("am-keys-");
                keys = new LocalKeys(keyDir).ensure();
                logFile = Files.createTempFile("am-service-", ".log");
                exportKeyDir = Files.createTempDirectory("am-export-keys-");
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test environment", e);
        }
        Map<String, String> config = new HashMap<>();
        config.put("audience-match.redis.url", redis.url());
        config.put("audience-match.redis.timeout", "2s");
        // Small bulk chunks, so that every bulk test also crosses chunk boundaries.
        config.put("audience-match.bulk.chunk-size", "1000");
        config.put("mp.jwt.verify.publickey.location", keys.publicKey().toString());
        config.put("quarkus.log.file.enabled", "true");
        config.put("quarkus.log.file.path", logFile.toString());
        config.put("quarkus.log.category.\"be.audiencematch\".level", "DEBUG");
        config.put("audience-match.keys.dev-dir", exportKeyDir.toString());
        // Most tests check exact counts and ask many questions: differential privacy is off for them, explicitly.
        // The privacy tests run on the shipped default (PrivacyDefaultsEnvironment).
        config.put("audience-match.privacy.epsilon", "off");
        // Tests send hundreds of requests from one subject in a loop: limits on, so every request passes the filter
        // (and its Redis round trip), but far above what any test sends. RateLimitTest sets small ones.
        for (String role : new String[] {"advertiser", "adserver", "subscriber-feed", "adsdata", "dpo"}) {
            config.put("audience-match.rate-limit." + role + ".rate", "1000000");
            config.put("audience-match.rate-limit." + role + ".burst", "1000000");
        }
        config.put("audience-match.rate-limit.in-flight.advertiser", "100");
        config.put("audience-match.rate-limit.in-flight.subscriber-feed", "100");
        return config;
    }

    @Override
    public void stop() {
        // One Redis serves the whole run; the JVM's shutdown hook stops it.
    }

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (redis != null) {
                    redis.close();
                }
                if (keys != null) {
                    Files.deleteIfExists(keys.privateKey());
                    Files.deleteIfExists(keys.publicKey());
                    Files.deleteIfExists(keys.privateKey().getParent());
                }
                if (logFile != null) {
                    Files.deleteIfExists(logFile);
                }
                if (exportKeyDir != null) {
                    try (var files = Files.list(exportKeyDir)) {
                        files.forEach(f -> f.toFile().delete());
                    }
                    Files.deleteIfExists(exportKeyDir);
                }
            } catch (Exception ignored) {
                // best effort at exit
            }
        }));
    }

    public static RedisServer redis() {
        return redis;
    }

    public static LocalKeys keys() {
        return keys;
    }

    /** Where the test run's development export keys are generated (ring, Ads & Data key pair). */
    public static Path exportKeyDir() {
        return exportKeyDir;
    }

    public static Path logFile() {
        return logFile;
    }
}
