package be.audiencematch.kernel;

/** Raised by services to answer with a problem body; never carries a submitted value in its detail. */
public class ProblemException extends RuntimeException {

    private final int status;
    private final String title;
    private final java.util.List<Long> invalidLines;
    private Long retryAfterSeconds;

    public ProblemException(int status, String title, String detail) {
        this(status, title, detail, null);
    }

    public ProblemException(int status, String title, String detail, java.util.List<Long> invalidLines) {
        super(detail, null, false, false);
        this.status = status;
        this.title = title;
        this.invalidLines = invalidLines;
    }

    public static ProblemException badRequest(String detail) {
        return new ProblemException(400, "Bad Request", detail);
    }

    public static ProblemException notFound(String detail) {
        return new ProblemException(404, "Not Found", detail);
    }

    /** 429: the caller may ask again after {@code seconds} (sent as Retry-After). */
    public static ProblemException tooManyRequests(String detail, long seconds) {
        ProblemException e = new ProblemException(429, "Too Many Requests", detail);
        e.retryAfterSeconds = seconds;
        return e;
    }

    /** 409: the request conflicts with what the caller already holds (a cap reached). */
    public static ProblemException conflict(String detail) {
        return new ProblemException(409, "Conflict", detail);
    }

    /** Seconds for Retry-After, or null (a 503 then gets the default). */
    public Long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public java.util.List<Long> invalidLines() {
        return invalidLines;
    }

    public String title() {
        return title;
    }
}
