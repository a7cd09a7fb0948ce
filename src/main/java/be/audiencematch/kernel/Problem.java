package be.audiencematch.kernel;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;

/**
 * An RFC 9457 problem body. {@code detail} names the field or line at fault but never echoes a submitted value,
 * which could be personal data.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance,
                      @com.fasterxml.jackson.annotation.JsonProperty("invalid_lines") List<Long> invalidLines) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String title, String detail) {
        return new Problem("about:blank", title, status, detail, null, null);
    }

    /** A problem that lists the offending line numbers of an upload (never their content). */
    public static Problem withLines(int status, String title, String detail, List<Long> lines) {
        return new Problem("about:blank", title, status, detail, null, List.copyOf(lines));
    }
}
