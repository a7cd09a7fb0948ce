package be.audiencematch.export;

import be.audiencematch.crypto.AdsDataCipher;
import be.audiencematch.crypto.ExportKeys;
import be.audiencematch.crypto.Pseudonymizer;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.kernel.RandomIds;
import be.audiencematch.privacy.AggregateDisclosure;
import be.audiencematch.segment.Segment;
import be.audiencematch.segment.SegmentService;
import be.audiencematch.segment.SegmentStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import jakarta.annotation.PreDestroy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

/**
 * Segments for Ads & Data ("Gepersonaliseerde reclame via Ads & Data"): only members who consent to ads_and_data
 * at export time, as keyed-hash pseudonyms, encrypted to the partner. A delta also names, as removals, everyone
 * the partner holds who withdrew, was erased or left the segment since its cursor.
 */
@ApplicationScoped
public class ExportService {

    private static final Logger LOG = Logger.getLogger(ExportService.class);
    static final int CHUNK = 10_000;
    private static final int CHUNKS_AHEAD = 4;
    private static final Pattern CURSOR = Pattern.compile("(\\d{10})\\.([a-z2-9]{16})");

    /** A segment as the partner sees it listed: its size only as an aggregate. */
    public record ExportableSegment(String id, String channel, Long members,
                                    @com.fasterxml.jackson.annotation.JsonProperty("below_threshold") boolean belowThreshold) {
    }

    /** An export ready to stream: its header, the numbers to add and remove, and how to write it. */
    public record Prepared(Envelope.Header header, long added, long removed, Streamer streamer) {
    }

    /** Writes the envelope; runs on the worker thread that serves the response. */
    @FunctionalInterface
    public interface Streamer {
        void writeTo(OutputStream out) throws IOException;
    }

    private final SegmentStore segments;
    private final ExportStore store;
    private final ExportKeys keys;
    private final AggregateDisclosure disclosure;
    private final Duration retention;
    private final Counter pseudonymsExported;
    /** Pseudonym workers, one per core: daemon threads, never an event loop. */
    private final ExecutorService workers = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(),
            runnable -> {
                Thread t = new Thread(runnable, "adsdata-pseudonyms");
                t.setDaemon(true);
                return t;
            });

    public ExportService(SegmentStore segments, ExportStore store, ExportKeys keys, AggregateDisclosure disclosure,
                         MeterRegistry metrics, AudienceMatchConfig config) {
        Duration retention = config.export().cursorRetention();
        this.segments = segments;
        this.store = store;
        this.keys = keys;
        this.disclosure = disclosure;
        this.retention = retention;
        this.pseudonymsExported = metrics.counter("audience_match_adsdata_pseudonyms_exported_total");
    }

    public Uni<List<ExportableSegment>> list() {
        return segments.list().flatMap(all -> store.exportableCounts(all.stream().map(Segment::id).toList())
                .map(counts -> {
                    java.util.ArrayList<ExportableSegment> out = new java.util.ArrayList<>();
                    for (int i = 0; i < all.size(); i++) {
                        // Ads & Data receives pseudonymous membership by design: its sizes need no noise.
                        AggregateDisclosure.Disclosed shown = disclosure.withoutNoise(counts.get(i));
                        out.add(new ExportableSegment(all.get(i).id(), all.get(i).channel().wireName(), shown.count(),
                                shown.belowThreshold()));
                    }
                    return out;
                }));
    }

    /**
     * Takes the segment's export state and prepares the answer. Blocks the calling worker thread on Redis: the
     * resource runs it off the event loop.
     */
    public Prepared prepare(String caller, String segmentId, String since) {
        SegmentService.checkId(segmentId);
        if (since != null) {
            checkCursor(since);
        }
        segments.find(segmentId).await().indefinitely()
                .orElseThrow(() -> ProblemException.notFound("no segment with that id"));
        String keyVersion = keys.ring().current();
        Instant now = Instant.now();
        String next = newCursor(now);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("segment", segmentId);
        meta.put("key_version", keyVersion);
        meta.put("created_at", now.toString());
        ExportStore.State state = store.take(segmentId, next, since, meta, retention).await().indefinitely();

        boolean snapshot = since == null;
        String reason = snapshot ? "requested" : null;
        if (!snapshot) {
            if (state.previousMeta().isEmpty()) {
                throw new ProblemException(410, "Gone", "the cursor has expired (cursors are kept "
                        + retention.toDays() + " days); take a snapshot without 'since'");
            }
            if (!segmentId.equals(state.previousMeta().get("segment"))) {
                throw ProblemException.badRequest("the cursor belongs to another segment");
            }
            if (!keyVersion.equals(state.previousMeta().get("key_version"))) {
                snapshot = true;
                reason = "key_rotated";
            }
        }
        byte[] current = state.current();
        byte[] previous = snapshot || state.previous() == null ? new byte[0] : state.previous();
        long added = Bits.countAndNot(current, previous);
        long removed = Bits.countAndNot(previous, current);
        Envelope.Header header = new Envelope.Header(AdsDataCipher.SUITE, segmentId, keyVersion, snapshot ? null : since,
                next, snapshot, reason, now.toString());

        Map<String, String> audit = new LinkedHashMap<>();
        audit.put("who", caller);
        audit.put("segment", segmentId);
        audit.put("mode", snapshot ? "snapshot" : "delta");
        audit.put("added", Long.toString(added));
        audit.put("removed", Long.toString(removed));
        audit.put("key_version", keyVersion);
        store.audit(audit).await().indefinitely();
        LOG.infof("Ads & Data export of a segment: %s, %d added, %d removed, key %s", snapshot ? "snapshot" : "delta",
                added, removed, keyVersion);

        byte[] partnerKey = keys.partnerPublicKey();
        byte[] key = keys.ring().currentKey();
        Envelope.Header h = header;
        return new Prepared(header, added, removed, out -> {
            stream(out, h, partnerKey, key, current, previous);
            pseudonymsExported.increment(added + removed);
        });
    }

    /**
     * Chunks are built (HMAC, base64, JSON) on the pseudonym workers, a few ahead, and sealed and written in order
     * on the calling thread: HMAC is the cost, so it gets every core while the response streams.
     */
    private void stream(OutputStream out, Envelope.Header header, byte[] partnerKey, byte[] key, byte[] current,
                        byte[] previous) throws IOException {
        Envelope.Writer writer = new Envelope.Writer(out, header, partnerKey);
        ChunkBuilder chunks = new ChunkBuilder(header);
        ThreadLocal<Pseudonymizer> pseudonyms = ThreadLocal.withInitial(() -> new Pseudonymizer(key));
        ArrayDeque<Future<byte[]>> ahead = new ArrayDeque<>();
        byte[] pending = null;
        int number = 0;
        try {
            for (boolean adding : new boolean[] {true, false}) {
                Bits.Cursor bits = adding ? new Bits.Cursor(current, previous) : new Bits.Cursor(previous, current);
                while (true) {
                    int[] batch = new int[CHUNK];
                    int n = bits.next(batch);
                    if (n == 0) {
                        break;
                    }
                    int chunkNumber = number++;
                    boolean added = adding;
                    ahead.add(workers.submit(() -> chunks.build(pseudonyms.get(), chunkNumber, batch, n, added)));
                    if (ahead.size() >= CHUNKS_AHEAD) {
                        pending = writeHeld(writer, pending, take(ahead.poll()));
                    }
                }
            }
            while (!ahead.isEmpty()) {
                pending = writeHeld(writer, pending, take(ahead.poll()));
            }
        } finally {
            ahead.forEach(f -> f.cancel(true));
        }
        writer.write(pending != null ? pending : chunks.build(pseudonyms.get(), 0, new int[0], 0, true), true);
    }

    /** Writes the chunk held back so far (it was not the last) and holds the new one. */
    private static byte[] writeHeld(Envelope.Writer writer, byte[] held, byte[] next) throws IOException {
        if (held != null) {
            writer.write(held, false);
        }
        return next;
    }

    private static byte[] take(Future<byte[]> chunk) throws IOException {
        try {
            return chunk.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while exporting", e);
        } catch (ExecutionException e) {
            throw new IOException("a chunk could not be built", e.getCause());
        }
    }

    @PreDestroy
    void stopWorkers() {
        workers.shutdownNow();
    }

    /** Builds one JSON line of a chunk without a JSON library: pseudonyms are base64url, ids are checked. */
    static final class ChunkBuilder {
        private final byte[] prefix;

        ChunkBuilder(Envelope.Header h) {
            this.prefix = ("{\"segment\":\"" + h.segment() + "\",\"key_version\":\"" + h.keyVersion()
                    + "\",\"cursor\":" + (h.cursor() == null ? "null" : "\"" + h.cursor() + "\"")
                    + ",\"next_cursor\":\"" + h.nextCursor() + "\",\"snapshot\":" + h.snapshot() + ",\"chunk\":")
                    .getBytes(StandardCharsets.US_ASCII);
        }

        byte[] build(Pseudonymizer pseudonyms, int number, int[] numbers, int n, boolean added) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(prefix.length + 64 + n * (Pseudonymizer.PSEUDONYM_CHARS + 3));
            out.writeBytes(prefix);
            out.writeBytes(Integer.toString(number).getBytes(StandardCharsets.US_ASCII));
            out.writeBytes((added ? ",\"added\":[" : ",\"added\":[],\"removed\":[").getBytes(StandardCharsets.US_ASCII));
            byte[] item = new byte[Pseudonymizer.PSEUDONYM_CHARS + 3];
            item[0] = '"';
            item[Pseudonymizer.PSEUDONYM_CHARS + 1] = '"';
            item[Pseudonymizer.PSEUDONYM_CHARS + 2] = ',';
            for (int i = 0; i < n; i++) {
                pseudonyms.writePseudonym(numbers[i], item, 1);
                out.write(item, 0, i == n - 1 ? item.length - 1 : item.length);
            }
            out.writeBytes(added ? "],\"removed\":[]}\n".getBytes(StandardCharsets.US_ASCII)
                    : "]}\n".getBytes(StandardCharsets.US_ASCII));
            return out.toByteArray();
        }
    }

    private void checkCursor(String since) {
        var match = CURSOR.matcher(since);
        if (!match.matches()) {
            throw ProblemException.badRequest("'since' is not a cursor this service handed out");
        }
        Instant issued = Instant.ofEpochSecond(Long.parseLong(match.group(1)));
        if (issued.plus(retention).isBefore(Instant.now())) {
            throw new ProblemException(410, "Gone", "the cursor is older than " + retention.toDays()
                    + " days; take a snapshot without 'since'");
        }
    }

    private String newCursor(Instant now) {
        return String.format("%010d", now.getEpochSecond()) + "." + RandomIds.random(16);
    }
}
