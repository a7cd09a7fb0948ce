package be.audiencematch.kernel;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.Optional;

/**
 * Every {@code audience-match.*} setting the service reads, typed, with its default (README, "Configuration").
 * src/main/resources/application.properties maps the environment variables (the public names, e.g.
 * {@code AUDIENCE_MATCH_THRESHOLD}) to these keys; a key without a line there is also set by its canonical variable
 * ({@code audience-match.json.max-bytes}: {@code AUDIENCE_MATCH_JSON_MAX_BYTES}). {@link ConfigCheck} refuses the
 * start when a value is out of range. Classes inject this mapping or the one group they need
 * ({@link ConfigGroups}); the Redis keys come as a {@link KeySpace}, built from the key prefix.
 */
@ConfigMapping(prefix = "audience-match")
public interface AudienceMatchConfig {

    Redis redis();

    Layout layout();

    Bulk bulk();

    Eligibility eligibility();

    Upload upload();

    Json json();

    PrivacyConfig privacy();

    Limits limits();

    RateLimitConfig rateLimit();

    Security security();

    Pseudonym pseudonym();

    Adsdata adsdata();

    Keys keys();

    Export export();

    Audit audit();

    Audience audience();

    /** The Redis the service keeps everything in (docs/operations.md, "Redis"). */
    interface Redis {
        /** AUDIENCE_MATCH_REDIS_URL: redis://, rediss:// (TLS) or redis-socket://; may carry user and password. */
        @WithDefault("redis://localhost:6379")
        String url();

        /** AUDIENCE_MATCH_REDIS_KEY_PREFIX: every key starts with it, so several services may share one Redis. */
        @WithDefault("am:")
        String keyPrefix();

        /** The longest a single Redis call may take before it is answered 503. */
        @WithDefault("5s")
        Duration timeout();

        /** AUDIENCE_MATCH_REDIS_BULK_TIMEOUT: the same for the pipelined calls of bulk loads and uploads. */
        @WithDefault("60s")
        Duration bulkTimeout();

        /** AUDIENCE_MATCH_REDIS_CLUSTER: the URL names a Redis Cluster node. */
        @WithDefault("false")
        boolean cluster();

        /** AUDIENCE_MATCH_REDIS_CA_FILE: the CA (PEM) a rediss:// server's certificate is checked against. */
        Optional<String> caFile();

        /** AUDIENCE_MATCH_REDIS_ALLOW_PLAINTEXT: a plain redis:// URL over the network is refused without it. */
        @WithDefault("false")
        boolean allowPlaintext();

        /** How many Redis replicas must hold a write before it is acknowledged (docs/operations.md, "Durability"). */
        @WithName("wait")
        Wait replicaWait();

        interface Wait {
            /**
             * AUDIENCE_MATCH_REDIS_WAIT_REPLICAS: replicas that must hold a write before its 2xx, at most as many as
             * the primary has online; 0 turns the wait off.
             */
            @WithDefault("1")
            int replicas();

            /**
             * AUDIENCE_MATCH_REDIS_WAIT_TIMEOUT: how long a write waits for them; past it the write is stored but
             * answered 503 with Retry-After (sending it again is harmless).
             */
            @WithDefault("1s")
            Duration timeout();
        }
    }

    /** How the base is spread over Redis hashes (docs/architecture.md, "Redis layout"). */
    interface Layout {
        /** AUDIENCE_MATCH_BUCKET_BITS: 2^bits hashes per key family, 8 to 20; fixed once a base is loaded. */
        @WithDefault("" + Buckets.DEFAULT_BITS)
        int bucketBits();

        /**
         * AUDIENCE_MATCH_SHARDS: how many shards a new base is split into, 1 to 1024 (docs/scaling.md, "The sharded
         * layout, in detail"); fixed once a base is laid out and recorded in it, as the bucket bits are. Unset: 64 on
         * a Redis Cluster under a key prefix without a hash tag, else 1 (KeySpace.shards).
         */
        Optional<Integer> shards();
    }

    /** Bulk loads of the subscriber feed. */
    interface Bulk {
        /** Lines per pipelined chunk, 1 to 4194304; by default chosen from the bucket bits (SubscriberService). */
        Optional<Integer> chunkSize();
    }

    interface Eligibility {
        View view();

        /** The in-memory eligibility view each replica follows (docs/architecture.md, "Eligibility view"). */
        interface View {
            @WithDefault("true")
            boolean enabled();

            /** How long a replica's claim to be up to date lasts; at least 200 ms. */
            @WithDefault("2s")
            Duration lease();

            /** How long a writer waits for every replica's view to confirm its change. */
            @WithDefault("15s")
            Duration confirmTimeout();

            /** Above this many households a replica answers from Redis instead of its view. */
            @WithDefault("2000000")
            int maxHouseholds();
        }
    }

    interface Upload {
        /** AUDIENCE_MATCH_UPLOAD_MAX_BYTES: largest upload, counted after gzip decompression (512 MiB). */
        @WithDefault("536870912")
        long maxBytes();
    }

    interface Json {
        /** Largest JSON body, counted as it is read (kernel/JsonBodyLimit). */
        @WithDefault("1048576")
        long maxBytes();
    }

    interface Security {
        /** AUDIENCE_MATCH_JWT_MAX_AGE: a token older than this (by its iat) is refused whatever its exp says. */
        @WithDefault("24h")
        Duration tokenMaxAge();

        TokenCache tokenCache();

        /** Verified tokens remembered by their SHA-256 (security/VerifiedTokens). */
        interface TokenCache {
            @WithDefault("10000")
            int size();

            @WithDefault("5m")
            Duration maxAge();
        }
    }

    interface Pseudonym {
        /** AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE: the pseudonym key ring of the Ads & Data export. */
        Optional<String> keysFile();

        /** AUDIENCE_MATCH_PSEUDONYM_KEY_WARN_AGE: a warning at start once the current key is this old. */
        @WithDefault("365d")
        Duration keyWarnAge();

        /** AUDIENCE_MATCH_PSEUDONYM_KEY_MAX_AGE: production does not start once the current key is this old. */
        @WithDefault("396d")
        Duration keyMaxAge();
    }

    interface Adsdata {
        /** AUDIENCE_MATCH_ADSDATA_PUBLIC_KEY_FILE: the partner's X25519 public key. */
        Optional<String> publicKeyFile();
    }

    /** Export keys made on the fly: dev and test only; production refuses to start without real ones. */
    interface Keys {
        @WithDefault("false")
        boolean generateMissing();

        @WithDefault(".local/keys")
        String devDir();
    }

    interface Export {
        /** AUDIENCE_MATCH_EXPORT_CURSOR_RETENTION: how long an export cursor may be resumed. */
        @WithDefault("30d")
        Duration cursorRetention();
    }

    interface Audit {
        /** AUDIENCE_MATCH_AUDIT_RETENTION: how long the audit trail keeps an entry (docs/privacy.md, "Audit trail"). */
        @WithDefault("396d")
        Duration retention();
    }

    interface Audience {
        /** AUDIENCE_MATCH_AUDIENCE_MAX_TTL: the longest life of an advertiser's audience. */
        @WithDefault("396d")
        Duration maxTtl();
    }
}
