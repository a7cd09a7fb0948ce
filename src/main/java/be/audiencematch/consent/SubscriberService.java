package be.audiencematch.consent;

import be.audiencematch.consent.SubscriberApi.BulkLine;
import be.audiencematch.consent.SubscriberApi.BulkReport;
import be.audiencematch.consent.SubscriberApi.LineError;
import be.audiencematch.identity.LineReader;
import be.audiencematch.kernel.JsonProblems;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.redis.RedisConnections;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The feed's rules: create, replace, change consent, erase, and bulk loads. */
@ApplicationScoped
public class SubscriberService {

    static final int MAX_LISTED_ERRORS = 20;
    private static final int BATCH = 500;
    private static final int IN_FLIGHT = 8;

    private final SubscriberStore store;
    private final Instance<MemberEraser> erasers;
    private final RedisConnections redis;
    private final ObjectReader lineReader;
    private final long maxUploadBytes;
    private final Counter erasures;
    private final Counter withdrawals;

    public SubscriberService(SubscriberStore store, Instance<MemberEraser> erasers, RedisConnections redis,
                             ObjectMapper mapper, MeterRegistry metrics,
                             @ConfigProperty(name = "audience-match.upload.max-bytes") long maxUploadBytes) {
        this.store = store;
        this.erasers = erasers;
        this.redis = redis;
        this.lineReader = mapper.readerFor(BulkLine.class).with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        this.maxUploadBytes = maxUploadBytes;
        this.erasures = metrics.counter("audience_match_subscriber_erasures_total");
        this.withdrawals = metrics.counter("audience_match_consent_withdrawals_total");
    }

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
     * report or answer can count it once that step is done; the membership bitmaps follow before we answer.
     */
    public Uni<Void> erase(String subscriberId) {
        return store.erase(subscriberId).flatMap(number -> {
            if (number < 0) {
                return Uni.createFrom().voidItem();
            }
            erasures.increment();
            List<Uni<Void>> all = new ArrayList<>();
            erasers.forEach(e -> all.add(e.eraseMember(number)));
            return all.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(all).andFailFast().replaceWithVoid();
        });
    }

    /**
     * Loads NDJSON from a stream, on a worker thread: lines are parsed as they arrive and written in batches of
     * {@value #BATCH} on a dedicated connection, several batches in flight. Bad lines are reported and skipped.
     */
    public BulkReport bulkLoad(InputStream body) {
        StatefulRedisConnection<byte[], byte[]> connection = RedisConnections.awaitOnWorker(redis.dedicated().toCompletableFuture());
        try {
            return bulkLoad(body, connection);
        } finally {
            connection.closeAsync();
        }
    }

    private BulkReport bulkLoad(InputStream body, StatefulRedisConnection<byte[], byte[]> connection) {
        LineReader lines = new LineReader(body, maxUploadBytes);
        ArrayDeque<CompletableFuture<?>> inFlight = new ArrayDeque<>();
        List<LineError> errors = new ArrayList<>();
        List<Subscriber> batch = new ArrayList<>(BATCH);
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
                    BulkLine line = lineReader.readValue(lines.buffer(), from, to - from);
                    batch.add(SubscriberValidation.toSubscriber(line.subscriberId(), "field 'subscriber_id'", line.identifiers(),
                            line.householdId(), line.consents()));
                    accepted++;
                } catch (JsonProcessingException e) {
                    rejected++;
                    note(errors, lines.lineNumber(), JsonProblems.describe(e));
                } catch (SubscriberValidation.Invalid e) {
                    rejected++;
                    note(errors, lines.lineNumber(), e.getMessage());
                }
                if (batch.size() == BATCH) {
                    send(connection, batch, inFlight);
                    batch = new ArrayList<>(BATCH);
                }
            }
            if (!batch.isEmpty()) {
                send(connection, batch, inFlight);
            }
            while (!inFlight.isEmpty()) {
                RedisConnections.awaitOnWorker(inFlight.poll());
            }
        } catch (LineReader.TooLargeException e) {
            drain(inFlight);
            throw new ProblemException(413, "Content Too Large",
                    "body exceeds " + maxUploadBytes + " bytes; lines before the limit were loaded");
        } catch (IOException e) {
            drain(inFlight);
            throw ProblemException.badRequest("the body could not be read to its end");
        }
        return new BulkReport(accepted, rejected, List.copyOf(errors));
    }

    private void send(StatefulRedisConnection<byte[], byte[]> connection, List<Subscriber> batch,
                      ArrayDeque<CompletableFuture<?>> inFlight) {
        inFlight.add(store.upsertBatch(connection.async(), batch).toCompletableFuture());
        connection.flushCommands();
        while (inFlight.size() >= IN_FLIGHT) {
            RedisConnections.awaitOnWorker(inFlight.poll());
        }
    }

    private static void drain(ArrayDeque<CompletableFuture<?>> inFlight) {
        inFlight.forEach(f -> f.exceptionally(t -> null).join());
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
