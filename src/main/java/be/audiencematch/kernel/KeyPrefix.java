package be.audiencematch.kernel;

import jakarta.inject.Qualifier;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The Redis key prefix ({@code audience-match.redis.key-prefix}, {@code AUDIENCE_MATCH_REDIS_KEY_PREFIX}, "am:" by
 * default), injected as a {@code String}: read from {@link AudienceMatchConfig} in one place ({@link ConfigGroups}).
 */
@Qualifier
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.FIELD, ElementType.METHOD})
public @interface KeyPrefix {
}
