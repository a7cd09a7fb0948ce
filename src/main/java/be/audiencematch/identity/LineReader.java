package be.audiencematch.identity;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads an upload line by line straight from the request stream, handing out each line as a slice of its buffer, so
 * the body is never held in memory whole. Counts bytes so that a body over the limit is refused while it streams.
 */
public final class LineReader {

    /** Thrown when the body grows past the limit the reader was given. */
    public static final class TooLargeException extends IOException {
        public TooLargeException(long limit) {
            super("body exceeds " + limit + " bytes");
        }
    }

    private static final int MAX_LINE = 64 * 1024;

    private final InputStream in;
    private final long maxBytes;
    private byte[] buffer = new byte[256 * 1024];
    private int start;
    private int end;
    private long totalRead;
    private boolean eof;

    private int lineStart;
    private int lineEnd;
    private long lineNumber;

    public LineReader(InputStream in, long maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** Advances to the next line; false at the end of the stream. */
    public boolean next() throws IOException {
        while (true) {
            for (int i = start; i < end; i++) {
                if (buffer[i] == '\n') {
                    lineStart = start;
                    lineEnd = i;
                    start = i + 1;
                    lineNumber++;
                    return true;
                }
            }
            if (eof) {
                if (start < end) {
                    lineStart = start;
                    lineEnd = end;
                    start = end;
                    lineNumber++;
                    return true;
                }
                return false;
            }
            fill();
        }
    }

    private void fill() throws IOException {
        if (start > 0) {
            System.arraycopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buffer.length) {
            if (buffer.length >= MAX_LINE * 4) {
                // A line this long is no digest and no subscriber: keep reading, but only its tail.
                int keep = MAX_LINE;
                System.arraycopy(buffer, end - keep, buffer, 0, keep);
                end = keep;
            } else {
                buffer = Arrays.copyOf(buffer, buffer.length * 2);
            }
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
