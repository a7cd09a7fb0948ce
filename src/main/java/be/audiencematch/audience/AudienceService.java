package be.audiencematch.audience;

import be.audiencematch.changes.ChangeLog;
import be.audiencematch.audience.AudienceApi.CreateAudience;
import be.audiencematch.audience.AudienceApi.Report;
import be.audiencematch.audience.AudienceApi.UploadReport;
import be.audiencematch.consent.Channel;
import be.audiencematch.consent.MatchingUpload;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.identity.LineReader;
import be.audiencematch.kernel.Limits;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.kernel.RandomIds;
import be.audiencematch.kernel.Uploads;
import be.audiencematch.privacy.AggregateDisclosure;
import be.audiencematch.segment.SegmentService;
import be.audiencematch.segment.SegmentStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Advertiser lists: created, filled by streamed uploads, reported on as aggregates. An advertiser sees only its
 * own audiences; any other id is "not found", whether it exists or not.
 */
@ApplicationScoped
public class AudienceService {

    public static final int DEFAULT_TTL_DAYS = 30;
    /** Google Customer Match's ceiling for list membership. */
    public static final int MAX_TTL_DAYS = 540;
    private static final int MAX_NAME = 200;

    @Inject
    Limits limits;
    private final AudienceStore store;
    private final ChangeLog changes;
    private final SubscriberStore base;
    private final SegmentStore segments;
    private final MatchingUpload upload;
    private final AggregateDisclosure disclosure;
    private final Timer uploadTimer;
    private final Timer reportTimer;

    public AudienceService(AudienceStore store, ChangeLog changes, SubscriberStore base, SegmentStore segments, MatchingUpload upload,
                           AggregateDisclosure disclosure, MeterRegistry metrics) {
        this.store = store;
        this.changes = changes;
        this.base = base;
        this.segments = segments;
        this.upload = upload;
        this.disclosure = disclosure;
        this.uploadTimer = metrics.timer("audience_match_audience_upload_seconds");
        this.reportTimer = metrics.timer("audience_match_audience_report_seconds");
    }

    public Uni<Audience> create(String advertiser, CreateAudience request) {
        if (request == null) {
            throw ProblemException.badRequest("a JSON body is required");
        }
        String name = request.name() == null ? "" : request.name().strip();
        if (name.isEmpty() || name.length() > MAX_NAME) {
            throw ProblemException.badRequest("field 'name' is required, at most " + MAX_NAME + " characters");
        }
        IdentifierType type = Uploads.identifierType(request.identifierType(), "identifier_type");
        Channel channel = Channel.parse(request.channel(), "channel");
        int ttl = request.ttlDays() == null ? DEFAULT_TTL_DAYS : request.ttlDays();
        if (ttl < 1 || ttl > MAX_TTL_DAYS) {
            throw ProblemException.badRequest("field 'ttl_days' must be between 1 and " + MAX_TTL_DAYS);
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Audience audience = new Audience(RandomIds.next("aud_"), advertiser, name, channel, type, 0, 0, 0, 0, now,
                now.plus(Duration.ofDays(ttl)));
        return store.create(audience).replaceWith(audience);
    }

    public Uni<Audience> find(String advertiser, String id) {
        if (!RandomIds.isId("aud_", id)) {
            // Never a key name: an id that cannot exist is simply not found.
            return Uni.createFrom().failure(ProblemException.notFound("no audience with that id"));
        }
        return store.find(id).map(found -> found.filter(a -> a.advertiser().equals(advertiser))
                .orElseThrow(() -> ProblemException.notFound("no audience with that id")));
    }

    public Uni<List<Audience>> list(String advertiser) {
        return store.listOf(advertiser);
    }

    public Uni<Void> delete(String advertiser, String id) {
        return find(advertiser, id).flatMap(store::delete).call(() -> changes.settled());
    }

    /** Streams one upload (worker thread): matches are kept as numbers, consenting now; every digest is dropped. */
    public UploadReport upload(String advertiser, String id, InputStream body) {
        Audience audience = find(advertiser, id).await().indefinitely();
        long started = System.nanoTime();
        MatchingUpload.Outcome outcome;
        try {
            outcome = upload.read(body, audience.identifierType());
        } catch (LineReader.TooLargeException e) {
            throw Uploads.tooLarge(e);
        } catch (IOException e) {
            throw ProblemException.badRequest("the body could not be read to its end; nothing of it was stored");
        }
        boolean merged = store.merge(audience, base.consentKey(audience.channel().purpose()), outcome)
                .call(done -> changes.settled()).await().indefinitely();
        if (!merged) {
            throw ProblemException.notFound("the audience was deleted or expired during the upload");
        }
        uploadTimer.record(Duration.ofNanos(System.nanoTime() - started));
        return new UploadReport(outcome.received(), outcome.valid(), outcome.invalid(), outcome.plaintextRejected(),
                outcome.invalidLines());
    }

    /**
     * Members on the list who consent to the channel's purpose now, and are in every named segment, counted in
     * Redis and passed through {@link AggregateDisclosure}.
     */
    public Uni<Report> report(String advertiser, String id, List<String> segmentIds) {
        if (segmentIds.size() > limits.segmentsPerQuery()) {
            throw ProblemException.badRequest("'segments' names more than " + limits.segmentsPerQuery() + " segments");
        }
        segmentIds.forEach(SegmentService::checkId);
        long started = System.nanoTime();
        Map<Channel, byte[]> consentKeys = new EnumMap<>(Channel.class);
        for (Channel channel : Channel.values()) {
            consentKeys.put(channel, base.consentKey(channel.purpose()));
        }
        List<byte[]> segmentKeys = segmentIds.stream().map(segments::bitmapKey).toList();
        return store.report(advertiser, id, consentKeys, segments.registryKey(), segmentIds, segmentKeys)
                .map(outcome -> {
                    // One answer whether the segment is missing or of another channel: an advertiser does not
                    // learn which segments the other channel has.
                    if (outcome instanceof AudienceStore.ReportOutcome.SegmentMissing missing) {
                        throw noSegment(missing.index());
                    }
                    if (outcome instanceof AudienceStore.ReportOutcome.SegmentOfOtherChannel other) {
                        throw noSegment(other.index());
                    }
                    if (!(outcome instanceof AudienceStore.ReportOutcome.Counted counted)) {
                        throw ProblemException.notFound("no audience with that id");
                    }
                    Audience audience = counted.audience();
                    // One question however its segments are ordered or repeated.
                    String question = "audience\n" + audience.id() + "\n"
                            + String.join(",", new TreeSet<>(segmentIds));
                    AggregateDisclosure.Disclosed shown = disclosure.disclose(counted.exact(), question);
                    reportTimer.record(Duration.ofNanos(System.nanoTime() - started));
                    return new Report(audience.id(), audience.name(), audience.channel().wireName(),
                            audience.identifierType().wireName(), audience.received(), audience.valid(),
                            audience.invalid(), audience.plaintextRejected(), shown.count(), shown.belowThreshold(),
                            shown.threshold(), shown.roundedTo(), audience.expiresAt().toString(), segmentIds,
                            shown.noiseScale());
                });
    }

    private static ProblemException noSegment(int index) {
        return ProblemException.badRequest("segments[" + index + "] names no segment of this audience's channel");
    }
}
