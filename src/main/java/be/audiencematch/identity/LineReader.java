package be.audiencematch.identity;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads an upload line by line straight from the request stream, handing out each line as a slice of its buffer, so
 * the body is never held in memory whole. Counts bytes, lines and each line's length so that a body over a limit is
 * refused while it streams (kernel/Limits).
 */
public final class LineReader {

    /** Thrown when the body grows past the limit the reader was given. */
    public static final class TooLargeException extends IOException {
        public TooLargeException(long limit) {
            super("body exceeds " + limit + " bytes");
        }

        TooLargeException(String detail) {
            super(detail);
        }
    }

    /** The defaults of kernel/Limits, for readers made without configuration (tests, tools). */
    private static final int DEFAULT_MAX_LINE = 64 * 1024;
    private static final long DEFAULT_MAX_LINES = 20_000_000L;

    private final InputStream in;
    private final long maxBytes;
    private final int maxLine;
    private final long maxLines;
    private byte[] buffer = new byte[256 * 1024];
    private int start;
    private int end;
    private long totalRead;
    private boolean eof;

    private int lineStart;
    private int lineEnd;
    private long lineNumber;

    public LineReader(InputStream in, long maxBytes) {
        this(in, maxBytes, DEFAULT_MAX_LINE, DEFAULT_MAX_LINES);
    }

    /** A line longer than {@code maxLine} bytes, or more than {@code maxLines} lines, refuses the body. */
    public LineReader(InputStream in, long maxBytes, int maxLine, long maxLines) {
        this.in = in;
        this.maxBytes = maxBytes;
        this.maxLine = maxLine;
        this.maxLines = maxLines;
    }

    /** Advances to the next line; false at the end of the stream. */
    public boolean next() throws IOException {
        while (true) {
            for (int i = start; i < end; i++) {
                if (buffer[i] == '\n') {
                    return line(i, i + 1);
                }
            }
            if (eof) {
                return start < end && line(end, end);
            }
            fill();
        }
    }

    private boolean line(int to, int nextStart) throws TooLargeException {
        lineStart = start;
        lineEnd = to;
        start = nextStart;
        lineNumber++;
        if (lineEnd - lineStart > maxLine) {
            throw new TooLargeException("line " + lineNumber + " is longer than " + maxLine + " bytes");
        }
        if (lineNumber > maxLines) {
            throw new TooLargeException("body has more than " + maxLines + " lines");
        }
        return true;
    }

    private void fill() throws IOException {
        if (start > 0) {
            System.arraycopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buffer.length) {
            if (end > maxLine) {
                // The line being read is already too long: refused before it costs more memory.
                throw new TooLargeException("line " + (lineNumber + 1) + " is longer than " + maxLine + " bytes");
            }
            buffer = Arrays.copyOf(buffer, buffer.length * 2);
        }
        int n = in.read(buffer, end, buffer.length - end);
        if (n < 0) {
            eof = true;
            return;
        }
        end += n;
        totalRead += n;
        if (totalRead > maxBytes) {
            throw new TooLargeException(maxBytes);
        }
    }

    public byte[] buffer() {
        return buffer;
    }

    public int lineStart() {
        return lineStart;
    }

    public int lineEnd() {
        return lineEnd;
    }

    /** 1-based number of the current line, blank lines included. */
    public long lineNumber() {
        return lineNumber;
    }
}
