package be.audiencematch.kernel;

import io.smallrye.config.WithDefault;

/**
 * Bounds on what one request may ask of the service, as configuration (README, "Configuration"). Body sizes keep
 * their own keys ({@code audience-match.json.max-bytes}, {@code audience-match.upload.max-bytes}). The
 * {@code audience-match.limits} group of {@link AudienceMatchConfig}, injectable on its own ({@link ConfigGroups}).
 */
public interface Limits {

    /** Longest line of an upload (audience list, segment, bulk NDJSON), in bytes: a digest line is 64, a bulk line a few hundred. */
    @WithDefault("65536")
    int lineLength();

    /** Most lines in one upload, blank ones included: a bulk load of a 10M base is one body of 10M lines. */
    @WithDefault("20000000")
    long linesPerUpload();

    /** Most segments a report or a campaign may name. */
    @WithDefault("10")
    int segmentsPerQuery();

    /** Deepest nesting of a JSON body: ours need 3 levels, and a deep one costs the parser stack and time. */
    @WithDefault("16")
    int jsonNestingDepth();
}
