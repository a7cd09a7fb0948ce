package be.audiencematch.kernel;

/** Raised by services to answer with a problem body; never carries a submitted value in its detail. */
public class ProblemException extends RuntimeException {

    private final int status;
    private final String title;
    private final java.util.List<Long> invalidLines;

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
