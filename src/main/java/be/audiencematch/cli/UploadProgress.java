package be.audiencematch.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * What an upload shows while it runs, on stderr (stdout holds only the final JSON line): a bar redrawn in place on a
 * terminal, a plain line per chunk (and at least every ten seconds) otherwise, or nothing.
 */
abstract class UploadProgress {

    enum Mode { bar, lines, none }

    final PrintStream out;
    final long totalBytes;
    final long started = System.nanoTime();

    UploadProgress(PrintStream out, long totalBytes) {
        this.out = out;
        this.totalBytes = totalBytes;
    }

    static UploadProgress of(Mode mode, PrintStream out, long totalBytes) {
        return switch (mode) {
            case bar -> new Bar(out, totalBytes);
            case lines -> new Lines(out, totalBytes);
            case none -> new UploadProgress(out, totalBytes) {
            };
        };
    }

    /** Called every few hundred rows read. */
    void read(long rows, long bytes) {
    }

    /** Called once a chunk was counted by the service. */
    void sent(int chunk, long rows, long bytes) {
    }

    /** A chunk is sent again after a failure. */
    void retrying(int chunk, int attempt, String why) {
        out.printf("upload: chunk %d %s; sending it again (attempt %d)%n", chunk, why, attempt + 1);
    }

    void done(long rows, long bytes) {
    }

    double seconds() {
        return Math.max(1e-3, (System.nanoTime() - started) / 1e9);
    }

    /** Percent of the file read, or -1 for a stream of unknown size. */
    int percent(long bytes) {
        return totalBytes > 0 ? (int) Math.min(100, bytes * 100 / totalBytes) : -1;
    }

    /** Seconds left, from the file's size and the bytes read so far; -1 when unknown. */
    long eta(long bytes) {
        if (totalBytes <= 0 || bytes <= 0) {
            return -1;
        }
        return Math.max(0, Math.round(seconds() * (totalBytes - bytes) / bytes));
    }

    static String clock(long seconds) {
        return seconds < 0 ? "--:--" : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }

    static final class Bar extends UploadProgress {
        private static final int WIDTH = 24;
        private static final long REDRAW_NANOS = 200_000_000L;
        private long lastDraw;

        Bar(PrintStream out, long totalBytes) {
            super(out, totalBytes);
        }

        @Override
        void read(long rows, long bytes) {
            long now = System.nanoTime();
            if (now - lastDraw >= REDRAW_NANOS) {
                lastDraw = now;
                draw(rows, bytes, false);
            }
        }

        @Override
        void sent(int chunk, long rows, long bytes) {
            draw(rows, bytes, false);
        }

        @Override
        void retrying(int chunk, int attempt, String why) {
            out.print("\r\033[K");
            super.retrying(chunk, attempt, why);
        }

        @Override
        void done(long rows, long bytes) {
            draw(rows, bytes, true);
            out.println();
        }

        private void draw(long rows, long bytes, boolean done) {
            int percent = done ? 100 : percent(bytes);
            // A stream of unknown size (stdin) shows an empty bar; rows and rows/s still move.
            int filled = percent < 0 ? 0 : percent * WIDTH / 100;
            String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
            out.printf(Locale.ROOT, "\r\033[K[%s] %s %,d rows  %,.0f rows/s  ETA %s", bar,
                    percent < 0 ? "  ?%" : String.format(Locale.ROOT, "%3d%%", percent), rows, rows / seconds(),
                    done ? "0:00" : clock(eta(bytes)));
            out.flush();
        }
    }

    static final class Lines extends UploadProgress {
        private static final long EVERY_NANOS = 10_000_000_000L;
        private long lastLine = System.nanoTime();

        Lines(PrintStream out, long totalBytes) {
            super(out, totalBytes);
        }

        @Override
        void read(long rows, long bytes) {
            if (System.nanoTime() - lastLine >= EVERY_NANOS) {
                line("reading", rows, bytes);
            }
        }

        @Override
        void sent(int chunk, long rows, long bytes) {
            line("chunk " + chunk + " sent", rows, bytes);
        }

        @Override
        void done(long rows, long bytes) {
            out.printf(Locale.ROOT, "upload: done: %d rows in %.1f s%n", rows, seconds());
        }

        private void line(String what, long rows, long bytes) {
            lastLine = System.nanoTime();
            int percent = percent(bytes);
            out.printf(Locale.ROOT, "upload: %s: %d rows, %.0f rows/s%s%n", what, rows, rows / seconds(),
                    percent < 0 ? "" : ", " + percent + "% of the file, ETA " + clock(eta(bytes)));
        }
    }
}
