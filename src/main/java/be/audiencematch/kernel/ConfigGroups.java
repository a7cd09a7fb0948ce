package be.audiencematch.kernel;

import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The groups of {@link AudienceMatchConfig} a class may inject on its own, so that it depends on what it reads and
 * nothing more; each is the very object of the one mapping.
 */
@Dependent
public class ConfigGroups {

    /** The base's keys: the global ones and each shard's (docs/architecture.md, "Redis key layout"). */
    @Produces
    @Singleton
    static KeySpace keySpace(AudienceMatchConfig config) {
        String prefix = config.redis().keyPrefix();
        boolean cluster = config.redis().cluster();
        return KeySpace.of(prefix, cluster, KeySpace.shards(config.layout().shards(), prefix, cluster));
    }

    @Produces
    static AudienceMatchConfig.Redis redis(AudienceMatchConfig config) {
        return config.redis();
    }

    @Produces
    static Limits limits(AudienceMatchConfig config) {
        return config.limits();
    }

    @Produces
    static PrivacyConfig privacy(AudienceMatchConfig config) {
        return config.privacy();
    }

    @Produces
    static RateLimitConfig rateLimit(AudienceMatchConfig config) {
        return config.rateLimit();
    }

    @Produces
    static AudienceMatchConfig.Security security(AudienceMatchConfig config) {
        return config.security();
    }

    @Produces
    static AudienceMatchConfig.Eligibility.View eligibilityView(AudienceMatchConfig config) {
        return config.eligibility().view();
    }
}
