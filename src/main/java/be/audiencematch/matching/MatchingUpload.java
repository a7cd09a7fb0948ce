package be.audiencematch.matching;

import be.audiencematch.consent.IdentifierLookup;
import be.audiencematch.identity.HashedIdentifier;
import be.audiencematch.identity.HashedRows;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.identity.LineReader;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.Limits;
import be.audiencematch.identity.RowKind;
import be.audiencematch.redis.RedisConnections;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.roaringbitmap.RoaringBitmap;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Reads a streamed list of hashed identifiers and resolves it against the base, for audiences and segments alike.
 * What comes out is counts, the numbers of invalid lines, and the set of subscriber numbers that matched: the
 * digests themselves are dropped batch by batch and never leave this class.
 */
@ApplicationScoped
public class MatchingUpload {

    public static final int MAX_LISTED_LINES = 20;
    /** Rows a resolve call takes (MultiIdentifierUpload resolves the same way). */
    static final int BATCH = 2_048;
    /**
     * Valid rows are gathered at least this many at a time and sorted by index bucket before they are looked up: a
     * bucket then serves several rows in a row while its listpack is in the CPU cache, which halves Redis' time per
     * row (docs/performance.md, "Uploads: sorted by bucket"). 256k digests are 12 MB of heap for the length of one
     * chunk.
     */
    private static final int MIN_CHUNK = 262_144;
    private static final int MAX_CHUNK = 1_048_576;
    /** The result of one upload. {@code matched} holds subscriber numbers only. */
    public record Outcome(long received, long valid, long invalid, long plaintextRejected, List<Long> invalidLines,
                          RoaringBitmap matched) {
    }

    private final IdentifierLookup store;
    private final long maxBytes;
    @Inject
    Limits limits;
    /**
     * Rows a chunk gathers: about 8 a bucket from 16 bucket bits up, so that one HMGET serves several rows on a large
     * base too (at 17 bits, a 10M base: 1M rows, 48 MB of heap while the chunk is read; 12% faster 10M uploads,
     * docs/performance.md, "Uploads: sorted by bucket"), and at most 1M.
     */
    private final int chunkRows;

    public MatchingUpload(IdentifierLookup store, AudienceMatchConfig config) {
        this.store = store;
        this.maxBytes = config.upload().maxBytes();
        this.chunkRows = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, 8 << store.buckets().bits()));
    }

    /** Blocks the calling worker thread while it streams; never call it on an event loop. */
    public Outcome read(InputStream body, IdentifierType type) throws IOException {
        store.awaitIndex();
        try (IdentifierLookup.Lookups lookups = store.open()) {
            return read(body, type, lookups);
        }
    }

    private Outcome read(InputStream body, IdentifierType type, IdentifierLookup.Lookups connection)
            throws IOException {
        LineReader lines = new LineReader(body, maxBytes, limits.lineLength(), limits.linesPerUpload());
        RoaringBitmap matched = new RoaringBitmap();
        ArrayDeque<CompletableFuture<int[]>> inFlight = new ArrayDeque<>();
        List<Long> invalidLines = new ArrayList<>();
        List<byte[]> chunk = new ArrayList<>();
        long received = 0;
        long valid = 0;
        long invalid = 0;
        long plaintext = 0;
        byte[] digest = new byte[HashedIdentifier.DIGEST_BYTES];
        try {
            while (lines.next()) {
                RowKind kind = HashedRows.classify(lines.buffer(), lines.lineStart(), lines.lineEnd(), digest);
                if (kind == RowKind.BLANK) {
                    continue;
                }
                received++;
                if (kind == RowKind.VALID) {
                    valid++;
                    chunk.add(digest);
                    digest = new byte[HashedIdentifier.DIGEST_BYTES];
                    if (chunk.size() == chunkRows) {
                        sendSorted(connection, type, chunk, inFlight, matched);
                        chunk = new ArrayList<>();
                    }
                } else {
                    invalid++;
                    if (kind == RowKind.PLAINTEXT) {
                        plaintext++;
                    }
                    if (invalidLines.size() < MAX_LISTED_LINES) {
                        invalidLines.add(lines.lineNumber());
                    }
                }
            }
            sendSorted(connection, type, chunk, inFlight, matched);
            while (!inFlight.isEmpty()) {
                collect(inFlight.poll(), matched);
            }
        } finally {
            inFlight.forEach(f -> f.exceptionally(t -> null).join());
        }
        return new Outcome(received, valid, invalid, plaintext, List.copyOf(invalidLines), matched);
    }

    /**
     * Sorts a chunk by bucket and sends all of it at once, after collecting the previous chunk's answers: Redis
     * resolves one chunk while this thread reads and checks the next.
     */
    private void sendSorted(IdentifierLookup.Lookups connection, IdentifierType type, List<byte[]> chunk,
                            ArrayDeque<CompletableFuture<int[]>> inFlight, RoaringBitmap matched) {
        chunk.sort(store.order());
        while (!inFlight.isEmpty()) {
            collect(inFlight.poll(), matched);
        }
        for (int from = 0; from < chunk.size(); from += BATCH) {
            List<byte[]> batch = chunk.subList(from, Math.min(chunk.size(), from + BATCH));
            inFlight.add(connection.resolve(type, batch));
        }
        connection.flush();
    }

    private static void collect(CompletableFuture<int[]> resolved, RoaringBitmap matched) {
        for (int number : RedisConnections.awaitOnWorker(resolved)) {
            if (number >= 0) {
                matched.add(number);
            }
        }
    }

    /**
     * One Redis bitmap a shard holding the given global numbers at their local numbers: number g is bit g div S of
     * shard g mod S's (docs/scaling.md, "Numbers"). With one shard, {@link #toRedisBitmap}.
     */
    public static byte[][] toRedisBitmaps(RoaringBitmap numbers, int shards) {
        if (shards == 1) {
            return new byte[][] {toRedisBitmap(numbers)};
        }
        RoaringBitmap[] parts = new RoaringBitmap[shards];
        for (int s = 0; s < shards; s++) {
            parts[s] = new RoaringBitmap();
        }
        numbers.forEach((int g) -> {
            long unsigned = g & 0xffffffffL;
            parts[(int) (unsigned % shards)].add((int) (unsigned / shards));
        });
        byte[][] out = new byte[shards][];
        for (int s = 0; s < shards; s++) {
            out[s] = toRedisBitmap(parts[s]);
        }
        return out;
    }

    /** A Redis bitmap (bit n = byte n/8, most significant bit first) holding the given numbers. */
    public static byte[] toRedisBitmap(RoaringBitmap numbers) {
        if (numbers.isEmpty()) {
            return new byte[0];
        }
        byte[] bits = new byte[(numbers.last() >>> 3) + 1];
        numbers.forEach((int n) -> bits[n >>> 3] |= (byte) (0x80 >>> (n & 7)));
        return bits;
    }
}
