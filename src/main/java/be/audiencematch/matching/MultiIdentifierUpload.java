package be.audiencematch.matching;

import be.audiencematch.consent.IdentifierLookup;
import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.HashedRows;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.identity.LineReader;
import be.audiencematch.identity.RowKind;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.Limits;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.RedisConnections;
import jakarta.enterprise.context.ApplicationScoped;
import org.roaringbitmap.RoaringBitmap;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Reads a streamed CSV of hashed identifiers, several a row (a header names the columns `email_sha256` and/or
 * `phone_sha256`), and resolves it against the base: a row matches when any of its identifiers does, and counts
 * once, by its first column that matched (docs/identifiers.md, "Rows with several identifiers"). As
 * {@link MatchingUpload}, only counts, invalid line numbers and subscriber numbers come out; a row holding clear text
 * in any cell is refused whole.
 */
@ApplicationScoped
public class MultiIdentifierUpload {

    /** Rows gathered before their digests are sorted by bucket and resolved. */
    private static final int CHUNK_ROWS = 131_072;

    private final IdentifierLookup store;
    private final long maxBytes;
    private final Limits limits;

    public MultiIdentifierUpload(IdentifierLookup store, AudienceMatchConfig config) {
        this.store = store;
        this.limits = config.limits();
        this.maxBytes = config.upload().maxBytes();
    }

    /** Blocks the calling worker thread while it streams; {@code allowed}: the audience's identifier types. */
    public MatchingUpload.Outcome read(InputStream body, Set<IdentifierType> allowed) throws IOException {
        store.awaitIndex();
        try (IdentifierLookup.Lookups lookups = store.open()) {
            return read(body, allowed, lookups);
        }
    }

    private MatchingUpload.Outcome read(InputStream body, Set<IdentifierType> allowed,
                                        IdentifierLookup.Lookups connection) throws IOException {
        LineReader lines = new LineReader(body, maxBytes, limits.lineLength(), limits.linesPerUpload());
        RoaringBitmap matched = new RoaringBitmap();
        List<Long> invalidLines = new ArrayList<>();
        Chunk chunk = new Chunk();
        IdentifierType[] columns = null;
        long received = 0;
        long valid = 0;
        long invalid = 0;
        long plaintext = 0;
        while (lines.next()) {
            byte[] line = lines.buffer();
            int[] cells = cells(line, lines.lineStart(), lines.lineEnd());
            if (cells.length == 2 && cells[0] == cells[1]) {
                continue;
            }
            if (columns == null) {
                columns = header(line, cells, allowed, lines.lineNumber());
                continue;
            }
            received++;
            RowKind row = RowKind.BLANK;
            byte[][] digests = new byte[columns.length][];
            for (int c = 0; c < columns.length && c * 2 < cells.length; c++) {
                if (columns[c] == null || cells[2 * c] == cells[2 * c + 1]) {
                    continue;
                }
                byte[] digest = new byte[HashedIdentifier.DIGEST_BYTES];
                RowKind kind = HashedRows.classify(line, cells[2 * c], cells[2 * c + 1], digest);
                if (kind == RowKind.PLAINTEXT) {
                    row = RowKind.PLAINTEXT;
                    break;
                }
                if (kind == RowKind.VALID) {
                    digests[c] = digest;
                    row = RowKind.VALID;
                }
            }
            if (row == RowKind.VALID) {
                valid++;
                chunk.add(columns, digests);
                if (chunk.rows == CHUNK_ROWS) {
                    chunk.resolve(connection, matched);
                    chunk = new Chunk();
                }
            } else {
                invalid++;
                if (row == RowKind.PLAINTEXT) {
                    plaintext++;
                }
                if (invalidLines.size() < MatchingUpload.MAX_LISTED_LINES) {
                    invalidLines.add(lines.lineNumber());
                }
            }
        }
        chunk.resolve(connection, matched);
        return new MatchingUpload.Outcome(received, valid, invalid, plaintext, List.copyOf(invalidLines), matched);
    }

    /** The columns the header names (null for a column of anything else); 400 when it names none of ours. */
    private static IdentifierType[] header(byte[] line, int[] cells, Set<IdentifierType> allowed, long lineNumber) {
        IdentifierType[] columns = new IdentifierType[cells.length / 2];
        boolean any = false;
        for (int c = 0; c < columns.length; c++) {
            String name = new String(line, cells[2 * c], cells[2 * c + 1] - cells[2 * c],
                    java.nio.charset.StandardCharsets.US_ASCII).strip().toLowerCase(java.util.Locale.ROOT);
            columns[c] = IdentifierType.fromWireName(name).orElse(null);
            if (columns[c] != null && !allowed.contains(columns[c])) {
                throw ProblemException.badRequest("line " + lineNumber + ": column " + (c + 1) + " is an identifier "
                        + "type this audience does not take");
            }
            any |= columns[c] != null;
        }
        if (!any) {
            throw ProblemException.badRequest("line " + lineNumber + ": the header must name a column email_sha256 "
                    + "and/or phone_sha256");
        }
        return columns;
    }

    /** Start and end offsets of each comma-separated cell, surrounding quotes and spaces left out. */
    static int[] cells(byte[] line, int from, int to) {
        List<Integer> bounds = new ArrayList<>();
        int start = from;
        for (int i = from; i <= to; i++) {
            if (i == to || line[i] == ',') {
                int s = start;
                int e = i;
                while (s < e && (line[s] == ' ' || line[s] == '\t' || line[s] == '"' || line[s] == '\r')) {
                    s++;
                }
                while (e > s && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '"'
                        || line[e - 1] == '\r')) {
                    e--;
                }
                bounds.add(s);
                bounds.add(e);
                start = i + 1;
            }
        }
        return bounds.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A chunk of valid rows: per identifier type, its digests and the rows they came from. */
    private final class Chunk {
        final Map<IdentifierType, List<byte[]>> digests = new EnumMap<>(IdentifierType.class);
        final Map<IdentifierType, List<Integer>> rowsOf = new EnumMap<>(IdentifierType.class);
        int rows;

        void add(IdentifierType[] columns, byte[][] rowDigests) {
            for (int c = 0; c < columns.length; c++) {
                if (rowDigests[c] != null) {
                    digests.computeIfAbsent(columns[c], t -> new ArrayList<>()).add(rowDigests[c]);
                    rowsOf.computeIfAbsent(columns[c], t -> new ArrayList<>()).add(rows);
                }
            }
            rows++;
        }

        /** Resolves every digest, then keeps one number a row: e-mail first, then phone (the enum's order). */
        void resolve(IdentifierLookup.Lookups connection, RoaringBitmap matched) {
            int[] chosen = new int[rows];
            Arrays.fill(chosen, -1);
            for (IdentifierType type : IdentifierType.values()) {
                List<byte[]> list = digests.get(type);
                if (list == null) {
                    continue;
                }
                List<Integer> rowList = rowsOf.get(type);
                Integer[] order = new Integer[list.size()];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                java.util.Comparator<byte[]> byBucket = store.order();
                Arrays.sort(order, (a, b) -> byBucket.compare(list.get(a), list.get(b)));
                List<CompletableFuture<int[]>> answers = new ArrayList<>();
                for (int from = 0; from < order.length; from += MatchingUpload.BATCH) {
                    List<byte[]> batch = new ArrayList<>();
                    for (int k = from; k < Math.min(order.length, from + MatchingUpload.BATCH); k++) {
                        batch.add(list.get(order[k]));
                    }
                    answers.add(connection.resolve(type, batch));
                }
                connection.flush();
                for (int b = 0; b < answers.size(); b++) {
                    int[] numbers = RedisConnections.awaitOnWorker(answers.get(b));
                    for (int k = 0; k < numbers.length; k++) {
                        int row = rowList.get(order[b * MatchingUpload.BATCH + k]);
                        if (numbers[k] >= 0 && chosen[row] < 0) {
                            chosen[row] = numbers[k];
                        }
                    }
                }
            }
            for (int number : chosen) {
                if (number >= 0) {
                    matched.add(number);
                }
            }
        }
    }
}
