package be.audiencematch.consent;

import be.audiencematch.changes.ChangeKeys;
import be.audiencematch.consent.SubscriberApi.BulkLine;
import be.audiencematch.consent.SubscriberApi.BulkReport;
import be.audiencematch.consent.SubscriberApi.LineError;
import be.audiencematch.identity.LineReader;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.JsonProblems;
import be.audiencematch.kernel.Limits;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.QuietCommands;
import be.audiencematch.redis.RedisConnections;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The feed's rules: create, replace, change consent, erase, and bulk loads. */
@ApplicationScoped
public class SubscriberService {

    /** The audit trail (docs/privacy.md, "Audit trail"). */
    @jakarta.inject.Inject
    be.audiencematch.audit.AuditLog audit;

    static final int MAX_LISTED_ERRORS = 20;

    private final SubscriberStore store;
    private final PendingErasures erasing;
    private final RedisConnections redis;
    private final ObjectReader lineReader;
    private final long maxUploadBytes;
    @Inject
    Limits limits;
    private final int chunkSize;
    private final Counter erasures;
    private final Counter withdrawals;
    private final Timer bulkLoads;
    private final Counter bulkAccepted;
    private final Counter bulkRejected;

    public SubscriberService(SubscriberStore store, PendingErasures erasing, RedisConnections redis,
                             ObjectMapper mapper, MeterRegistry metrics, AudienceMatchConfig config) {
        long maxUploadBytes = config.upload().maxBytes();
        java.util.Optional<Integer> configuredChunkSize = config.bulk().chunkSize();
        this.store = store;
        this.erasing = erasing;
        this.redis = redis;
        this.lineReader = bulkLineReader(mapper);
        this.maxUploadBytes = maxUploadBytes;
        int chunkSize = configuredChunkSize.orElse(defaultChunkSize(store.buckets().bits()));
        if (chunkSize < 1 || chunkSize > 4_194_304) {
            throw new IllegalArgumentException("audience-match.bulk.chunk-size must be between 1 and 4194304");
        }
        this.chunkSize = chunkSize;
        this.erasures = metrics.counter("audience_match_subscriber_erasures_total");
        this.withdrawals = metrics.counter("audience_match_consent_withdrawals_total");
        this.bulkLoads = metrics.timer("audience_match_bulk_load_seconds");
        this.bulkAccepted = metrics.counter("audience_match_bulk_lines_total", "outcome", "accepted");
        this.bulkRejected = metrics.counter("audience_match_bulk_lines_total", "outcome", "rejected");
    }

    /**
     * Lines a bulk load gathers before writing them, unless configured: 524,288, and from 17 bucket bits (a base of
     * several million) about 8 a bucket, at most 1,048,576. Redis writes a bucket's run of a chunk in one command,
     * and at 10M subscribers runs of 4 cost Redis a fifth more a subscriber than runs of 8 (docs/performance.md,
     * "Bulk load: chunk sizes"); a smaller base keeps 524,288 so that a 1M load is still two chunks, the second read
     * while the first is written.
     */
    static int defaultChunkSize(int bucketBits) {
        return Math.min(1 << 20, Math.max(1 << 19, 8 << bucketBits));
    }

    /**
     * Every write below answers only once every replica's eligibility view has it: the store's writes complete
     * then (changes/SettledWrites).
     */
    public Uni<Boolean> upsert(Subscriber subscriber) {
        return store.upsert(subscriber);
    }

    public Uni<Void> updateConsents(String subscriberId, Map<Purpose, Boolean> changes) {
        long withdrawn = changes.values().stream().filter(allowed -> !allowed).count();
        return store.updateConsents(subscriberId, changes).invoke(found -> {
            if (!found) {
                throw ProblemException.notFound("no subscriber with that id");
            }
            withdrawals.increment(withdrawn);
        }).replaceWithVoid();
    }

    /**
     * Erases the subscriber everywhere. Its consents go first, in the same atomic step as the base entry, so no
     * report or answer can count it once that step is done; the membership bitmaps follow before we answer. When
     * they fail, the number stays pending ({@link PendingErasures}): a retry no longer finds the subscriber, so the
     * DELETE of an unknown id finishes every pending erasure before its 204.
     */
    public Uni<Void> erase(String subscriberId) {
        return erasing.erase(subscriberId, erasures::increment);
    }

    /**
     * Loads NDJSON from a stream, on a worker thread: lines are parsed as they arrive and written a chunk of up to
     * {@code audience-match.bulk.chunk-size} subscribers at a time on a dedicated connection ({@link BulkChunk}:
     * records, then identifier and household entries by bucket). While Redis writes one chunk the next one is read. Bad lines are reported and
     * skipped; when a subscriber id comes twice in a chunk, its last line is the one written, as if applied in order.
     */
    public BulkReport bulkLoad(InputStream body) {
        long started = System.nanoTime();
        store.awaitIndex();
        StatefulRedisConnection<byte[], byte[]> connection = RedisConnections.awaitOnWorker(redis.bulk().toCompletableFuture());
        try {
            BulkChunk.preloadScripts(connection);
            boolean quiet = QuietCommands.supported(connection);
            // Answered once every replica's view has the load, also a load cut short after writing part of it.
            BulkReport report = store.bulkLoad(changes -> bulkLoad(body, connection, quiet, changes));
            audit.record("bulk.loaded", Map.of("accepted", "" + report.accepted(), "rejected", "" + report.rejected()))
                    .await().indefinitely();
            bulkAccepted.increment(report.accepted());
            bulkRejected.increment(report.rejected());
            return report;
        } finally {
            connection.closeAsync();
            bulkLoads.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /**
     * How the general path reads a bulk line: unknown fields refused, and anything after the object too, which
     * Jackson otherwise ignores (two objects on one line would load the first and drop the second unsaid; found by
     * BulkLineParserFuzzTest).
     */
    static ObjectReader bulkLineReader(ObjectMapper mapper) {
        return mapper.readerFor(BulkLine.class).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** The general path's reading of one bulk line. */
    static Subscriber bulkLine(ObjectReader reader, byte[] buffer, int from, int length) throws IOException {
        BulkLine line;
        try {
            line = reader.readValue(buffer, from, length);
        } catch (java.io.CharConversionException e) {
            // Jackson guesses the encoding from the first bytes: a line starting with zero bytes is read as UTF-32
            // and fails with this I/O error, which would end the whole load (found by BulkLineParserFuzzTest).
            throw new SubscriberValidation.Invalid("the line is not JSON text in UTF-8");
        }
        if (line == null) {
            // The line "null" reads as no object at all (found by BulkLineParserFuzzTest: it failed the whole load).
            throw new SubscriberValidation.Invalid("the line must be a JSON object");
        }
        return SubscriberValidation.toSubscriber(line.subscriberId(), "field 'subscriber_id'", line.identifiers(),
                line.householdId(), line.consents());
    }

    private BulkReport bulkLoad(InputStream body, StatefulRedisConnection<byte[], byte[]> connection, boolean quiet,
                                ChangeKeys changes) {
        LineReader lines = new LineReader(body, maxUploadBytes, limits.lineLength(), limits.linesPerUpload());
        Chunks chunks = new Chunks(connection, quiet, changes);
        List<LineError> errors = new ArrayList<>();
        long accepted = 0;
        long rejected = 0;
        try {
            while (lines.next()) {
                int from = lines.lineStart();
                int to = lines.lineEnd();
                if (isBlank(lines.buffer(), from, to)) {
                    continue;
                }
                try {
                    if (!chunks.addFast(lines.buffer(), from, to)) {
                        chunks.add(bulkLine(lineReader, lines.buffer(), from, to - from));
                    }
                    accepted++;
                } catch (JsonProcessingException e) {
                    rejected++;
                    note(errors, lines.lineNumber(), JsonProblems.describe(e));
                } catch (SubscriberValidation.Invalid e) {
                    rejected++;
                    note(errors, lines.lineNumber(), e.getMessage());
                }
            }
            chunks.finish();
        } catch (LineReader.TooLargeException e) {
            chunks.finish();
            throw new ProblemException(413, "Content Too Large", e.getMessage() + "; lines before it were loaded");
        } catch (IOException e) {
            chunks.finish();
            throw ProblemException.badRequest("the body could not be read to its end; lines before that were loaded");
        }
        return new BulkReport(accepted, rejected, List.copyOf(errors));
    }

    /**
     * The chunks of one load, written in order on one connection: chunk k's records go out when it is full (its
     * links built meanwhile, BulkChunk.prepareLinks), its links just before chunk k+1's records, so Redis sees every
     * chunk whole before the next one starts (all but a discarded identifier batch's second try and the clearing of
     * the loading bits, which are checked per entry).
     */
    private final class Chunks {
        /** How often (in lines) the reader looks whether the last chunk's records are in, to send its links. */
        private final int lookEvery = Math.max(1, Math.min(4096, chunkSize / 8));

        private final StatefulRedisConnection<byte[], byte[]> connection;
        private final ChangeKeys changes;
        private BulkChunk filling;
        /** Whether this load replaced subscribers: its record calls then name their lines' buckets (BulkChunk). */
        private boolean replacing;
        /** Whether the load's first record call went alone to find out (BulkChunk.probe). */
        private boolean probed;
        private BulkChunk recordsSent;
        private CompletableFuture<Void> linksSent = CompletableFuture.completedFuture(null);
        /** The last chunk's guess for the next one's numbers (BulkChunk.writeRecords); -1: ask Redis. */
        private long nextNumber = -1;

        /** Whether identifier batches may go with Redis' answers off (QuietCommands). */
        private final boolean quiet;
        /** The index buckets the load appended to (BulkChunk's families), rewritten at its end. */
        private final BitSet appended = new BitSet();
        /** In a base of several shards, how each chunk is written instead (ShardedBulk); null in a base of one. */
        private final ShardedBulk sharded = store.shardedBulk();

        Chunks(StatefulRedisConnection<byte[], byte[]> connection, boolean quiet, ChangeKeys changes) {
            this.connection = connection;
            this.quiet = quiet;
            this.changes = changes;
            this.filling = store.bulkChunk(chunkSize, changes);
        }

        void add(Subscriber subscriber) {
            filling.add(subscriber);
            added();
        }

        /** The usual line, read straight into the chunk (BulkLineParser); false when it needs the general path. */
        boolean addFast(byte[] buffer, int from, int to) {
            if (!BulkLineParser.addTo(filling, buffer, from, to)) {
                return false;
            }
            added();
            return true;
        }

        private void added() {
            if (filling.isFull()) {
                send();
            } else if (recordsSent != null && filling.size() % lookEvery == 0 && recordsSent.recordsWritten()) {
                // The last chunk's records are in: its links go out now, while this chunk is still being read.
                sendLinks();
            }
        }

        void finish() {
            send();
            sendLinks();
            RedisConnections.awaitOnWorker(linksSent);
            if (sharded != null) {
                if (!appended.isEmpty()) {
                    RedisConnections.awaitOnWorker(sharded.compact(appended));
                }
                return;
            }
            // Appending grows a bucket's string by doubling it: without this, a base loaded in one go would hold
            // up to twice the index it needs (docs/performance.md, "Bulk load: the appended index").
            if (!appended.isEmpty()) {
                RedisConnections.awaitOnWorker(store.compactIndex(connection, appended).toCompletableFuture());
            }
        }

        private void send() {
            if (filling.isEmpty()) {
                return;
            }
            if (sharded != null) {
                // One chunk at a time (the next may name the same subscribers), written while the next is read.
                RedisConnections.awaitOnWorker(linksSent);
                linksSent = sharded.write(filling, appended);
                filling = store.bulkChunk(chunkSize, changes);
                return;
            }
            sendLinks();
            filling.nameLinks(replacing);
            filling.probe(!probed);
            probed = true;
            filling.writeRecords(connection, nextNumber);
            filling.prepareLinks(quiet);
            recordsSent = filling;
            filling = store.bulkChunk(chunkSize, changes);
        }

        /** The links of the chunk whose records went out last; waits for the links before them first. */
        private void sendLinks() {
            if (recordsSent == null) {
                return;
            }
            RedisConnections.awaitOnWorker(linksSent);
            linksSent = recordsSent.writeLinks(connection, quiet);
            // A chunk that mostly replaced subscribers: a feed sent again, most likely whole.
            replacing |= recordsSent.mostlyReplacing();
            recordsSent.appendedFamilies(appended);
            nextNumber = recordsSent.nextNumber();
            recordsSent = null;
        }
    }

    private static void note(List<LineError> errors, long line, String reason) {
        if (errors.size() < MAX_LISTED_ERRORS) {
            errors.add(new LineError(line, reason));
        }
    }

    private static boolean isBlank(byte[] buffer, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buffer[i] != ' ' && buffer[i] != '\t' && buffer[i] != '\r') {
                return false;
            }
        }
        return true;
    }


    /** Purpose flags from a PATCH body; at least one is required. */
    public static Map<Purpose, Boolean> changes(SubscriberApi.ConsentFlags flags) {
        Map<Purpose, Boolean> changes = new EnumMap<>(Purpose.class);
        if (flags != null) {
            if (flags.tv() != null) {
                changes.put(Purpose.TV, flags.tv());
            }
            if (flags.web() != null) {
                changes.put(Purpose.WEB, flags.web());
            }
            if (flags.adsAndData() != null) {
                changes.put(Purpose.ADS_AND_DATA, flags.adsAndData());
            }
        }
        if (changes.isEmpty()) {
            throw ProblemException.badRequest("give at least one of 'tv', 'web', 'ads_and_data'");
        }
        return changes;
    }
}
