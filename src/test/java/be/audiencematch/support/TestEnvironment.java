package be.audiencematch.support;

import be.audiencematch.cli.LocalKeys;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts what the service needs for a test run: its own Redis and a freshly generated token key pair. The Redis is
 * one redis-server, or with {@code -Daudience-match-test.topology=cluster} a real three-primary Redis Cluster whose
 * node given to the service does not serve the key prefix's slot, so that every test also exercises finding the
 * right node (docs/architecture.md, "Standalone and Cluster"). The service's log goes to a file too, so tests can
 * check that no personal data reaches it.
 */
public class TestEnvironment implements QuarkusTestResourceLifecycleManager {

    /**
     * The system property that chooses the Redis the suite runs on: {@code standalone} (default) or {@code cluster}.
     * Outside the service's {@code audience-match.} namespace, which the service's configuration checks for unknown
     * names (a system property there stops its start).
     */
    public static final String TOPOLOGY = "audience-match-test.topology";

    private static RedisServer redis;
    private static final List<RedisServer> CLUSTER_NODES = new ArrayList<>();
    /** The redis-server that holds the service's keys: the standalone one, or the cluster's owner of the prefix. */
    private static RedisServer base;
    private static LocalKeys keys;
    private static Path logFile;
    private static Path exportKeyDir;

    @Override
    public synchronized Map<String, String> start() {
        try {
            if (keys == null) {
                Path keyDir = Files.createTempDirectory("am-keys-");
                keys = new LocalKeys(keyDir).ensure();
                logFile = Files.createTempFile("am-service-", ".log");
                exportKeyDir = Files.createTempDirectory("am-export-keys-");
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test environment", e);
        }
        Map<String, String> config = new HashMap<>(cluster() ? startCluster() : startStandalone());
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

    /** True when the suite runs on a Redis Cluster ({@link #TOPOLOGY} {@code cluster}). */
    public static boolean cluster() {
        String topology = System.getProperty(TOPOLOGY, "standalone");
        if (!topology.equals("standalone") && !topology.equals("cluster")) {
            throw new IllegalStateException(TOPOLOGY + " is standalone or cluster, not " + topology);
        }
        return topology.equals("cluster");
    }

    /**
     * For the environments that bring a standalone Redis of their own (a replica, TLS, a restart with its data): they
     * test one topology by nature, and their test classes do not run on the cluster (pom.xml, the cluster execution).
     */
    protected static void standaloneOnly(String environment) {
        if (cluster()) {
            throw new IllegalStateException(environment + " runs on a standalone Redis only; run its tests with -D"
                    + TOPOLOGY + "=standalone");
        }
    }

    private static Map<String, String> startStandalone() {
        try {
            if (redis == null) {
                redis = new RedisServer().start();
                base = redis;
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test Redis", e);
        }
        return Map.of("audience-match.redis.url", redis.url());
    }

    private static Map<String, String> startCluster() {
        LocalCluster.ensure(CLUSTER_NODES, 3, 0);
        if (base == null) {
            base = LocalCluster.owner(CLUSTER_NODES, LocalCluster.DEFAULT_ON_A_CLUSTER);
        }
        // The default key prefix: on a cluster the service gives it a hash tag of its own (docs/architecture.md,
        // "Standalone and Cluster"), which every test of the cluster run then goes through.
        return LocalCluster.serviceSettingsWithTheDefaultPrefix(
                LocalCluster.notServing(CLUSTER_NODES, LocalCluster.DEFAULT_ON_A_CLUSTER));
    }

    @Override
    public void stop() {
        // One Redis (or cluster) serves the whole run; the JVM's shutdown hooks stop it.
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

    /**
     * The redis-server a test inspects or changes behind the service's back (reads, a stop, a stall): the one that
     * holds the service's keys, that is the standalone server or, on the cluster, the primary serving the prefix's
     * slot. Key names come from {@link Keys}.
     */
    public static RedisServer baseRedis() {
        return base;
    }

    public static LocalKeys keys() {
        return keys;
    }

    /** The cluster's three primaries on the cluster run; none on a single Redis. */
    public static List<RedisServer> clusterNodes() {
        return List.copyOf(CLUSTER_NODES);
    }

    /** Where the test run's development export keys are generated (ring, Ads & Data key pair). */
    public static Path exportKeyDir() {
        return exportKeyDir;
    }

    public static Path logFile() {
        return logFile;
    }
}
