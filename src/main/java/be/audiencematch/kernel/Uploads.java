package be.audiencematch.kernel;

import be.audiencematch.identity.IdentifierType;
import be.audiencematch.identity.LineReader;

/** Shared answers for streamed uploads. */
public final class Uploads {

    public static final String TEXT = "text/plain";
    /** Rows of several identifiers, a header naming the columns (docs/identifiers.md). */
    public static final String CSV = "text/csv";

    /** Whether a request's Content-Type is CSV (parameters such as charset ignored). */
    public static boolean isCsv(String contentType) {
        return contentType != null && contentType.strip().toLowerCase(java.util.Locale.ROOT).startsWith(CSV);
    }

    private Uploads() {
    }

    public static ProblemException tooLarge(LineReader.TooLargeException e) {
        return new ProblemException(413, "Content Too Large", e.getMessage() + "; nothing of it was stored");
    }

    public static IdentifierType identifierType(String value, String parameter) {
        String name = value == null || value.isBlank() ? IdentifierType.EMAIL_SHA256.wireName() : value;
        return IdentifierType.fromWireName(name).orElseThrow(() -> ProblemException.badRequest(
                "'" + parameter + "' must be email_sha256 or phone_sha256"));
    }
}
