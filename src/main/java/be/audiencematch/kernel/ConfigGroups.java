package be.audiencematch.kernel;

import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;

/**
 * The groups of {@link AudienceMatchConfig} a class may inject on its own, so that it depends on what it reads and
 * nothing more; each is the very object of the one mapping.
 */
@Dependent
public class ConfigGroups {

    @Produces
    @KeyPrefix
    static String keyPrefix(AudienceMatchConfig config) {
        return RedisUrls.keyPrefix(config.redis().keyPrefix(), config.redis().cluster());
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
