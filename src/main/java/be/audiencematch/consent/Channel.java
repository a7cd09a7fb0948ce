package be.audiencematch.consent;

import java.util.Arrays;
import java.util.Optional;

/** Where an audience or segment is used; each channel is joined only with the consent for its own purpose. */
public enum Channel {
    TV("tv", Purpose.TV),
    WEB("web", Purpose.WEB);

    private final String wireName;
    private final Purpose purpose;

    Channel(String wireName, Purpose purpose) {
        this.wireName = wireName;
        this.purpose = purpose;
    }

    public String wireName() {
        return wireName;
    }

    public Purpose purpose() {
        return purpose;
    }

    /** Parses a request value; a missing or unknown channel is the caller's error, named by {@code field}. */
    public static Channel parse(String value, String field) {
        return fromWireName(value).orElseThrow(() -> be.audiencematch.kernel.ProblemException.badRequest(
                "'" + field + "' must be tv or web"));
    }

    public static Optional<Channel> fromWireName(String name) {
        return Arrays.stream(values()).filter(c -> c.wireName.equals(name)).findFirst();
    }
}
