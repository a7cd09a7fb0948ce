package be.audiencematch.audience;

import be.audiencematch.audience.AudienceApi.CreateAudience;
import be.audiencematch.audience.AudienceApi.Report;
import be.audiencematch.audience.AudienceApi.UploadReport;
import be.audiencematch.consent.Channel;
import be.audiencematch.consent.Purpose;
import be.audiencematch.consent.SubscriberStore;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.identity.LineReader;
import be.audiencematch.kernel.AudienceMatchConfig;
import be.audiencematch.kernel.Limits;
import be.audiencematch.kernel.PrivacyConfig;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.kernel.RandomIds;
import be.audiencematch.kernel.Uploads;
import be.audiencematch.matching.MatchingUpload;
import be.audiencematch.privacy.AggregateDisclosure;
import be.audiencematch.privacy.Question;
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

/**
 * Advertiser lists: created, filled by streamed uploads, reported on as aggregates. An advertiser sees only its
 * own audiences; any other id is "not found", whether it exists or not.
 */
@ApplicationScoped
public class AudienceService {

    /** The audit trail (docs/privacy.md, "Audit trail"). */
    @jakarta.inject.Inject
    be.audiencematch.audit.AuditLog audit;

    public static final int DEFAULT_TTL_DAYS = 30;
    /**
     * Read for {@code audience.max-ttl}, the longest an audience may live: the DPO's call (default 396 days, about 13
     * months; the privacy policy's retention for advertiser lists). Field-injected so that the constructor stays as
     * it is.
     */
    @Inject
    AudienceMatchConfig config;
    private static final int MAX_NAME = 200;

    @Inject
    Limits limits;
    private final AudienceStore store;
    private final SegmentStore segments;
    private final MatchingUpload upload;
    /** Rows of several identifiers (text/csv). */
    @jakarta.inject.Inject
    be.audiencematch.matching.MultiIdentifierUpload rows;
    private final AggregateDisclosure disclosure;
    private final int maxAudiences;
    private final Timer uploadTimer;
    private final Timer reportTimer;

    public AudienceService(AudienceStore store, SegmentStore segments, MatchingUpload upload,
                           AggregateDisclosure disclosure, PrivacyConfig privacy, MeterRegistry metrics) {
        this.store = store;
        this.segments = segments;
        this.upload = upload;
        this.disclosure = disclosure;
        this.maxAudiences = privacy.maxAudiences();
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
        List<IdentifierType> types = identifierTypes(request);
        IdentifierType type = types.size() == 1 ? types.get(0) : null;
        Channel channel = Channel.parse(request.channel(), "channel");
        int ttl = request.ttlDays() == null ? DEFAULT_TTL_DAYS : request.ttlDays();
        long maxTtlDays = config.audience().maxTtl().toDays();
        if (ttl < 1 || ttl > maxTtlDays) {
            throw ProblemException.badRequest("field 'ttl_days' must be between 1 and " + maxTtlDays
                    + " (the configured cap, audience-match.audience.max-ttl)");
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Audience audience = new Audience(RandomIds.next("aud_"), advertiser, name, channel, type, 0, 0, 0, 0, now,
                now.plus(Duration.ofDays(ttl)), 0, types);
        // Fresh audiences are no way around the budget (it is the advertiser's), but each holds members and answers:
        // the cap bounds what one advertiser keeps (docs/privacy.md, "Caps").
        return store.listOf(advertiser).flatMap(live -> {
            if (live.size() >= maxAudiences) {
                throw ProblemException.conflict("an advertiser may hold at most " + maxAudiences
                        + " live audiences; delete one first");
            }
            return store.create(audience).call(() -> audit.record("audience.created",
                    Map.of("advertiser", advertiser, "audience", audience.id(), "channel", channel.wireName())))
                    .replaceWith(audience);
        });
    }

    /** identifier_type (one, e-mail by default) or identifier_types (rows of several), not both. */
    private static List<IdentifierType> identifierTypes(CreateAudience request) {
        if (request.identifierTypes() == null) {
            return List.of(Uploads.identifierType(request.identifierType(), "identifier_type"));
        }
        if (request.identifierType() != null) {
            throw ProblemException.badRequest("give 'identifier_type' or 'identifier_types', not both");
        }
        java.util.Set<IdentifierType> types = java.util.EnumSet.noneOf(IdentifierType.class);
        for (int i = 0; i < request.identifierTypes().size(); i++) {
            String name = request.identifierTypes().get(i);
            // A blank entry is an error here, not the e-mail default that a missing identifier_type gets.
            types.add(Uploads.identifierType(name == null || name.isBlank() ? "-" : name,
                    "identifier_types[" + i + "]"));
        }
        if (types.isEmpty()) {
            throw ProblemException.badRequest("field 'identifier_types' names no type");
        }
        return List.copyOf(types);
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
        return find(advertiser, id).flatMap(store::delete)
                .call(() -> audit.record("audience.deleted", Map.of("advertiser", advertiser, "audience", id)));
    }

    /** How a streamed list changes an audience's members. */
    public enum MembersChange {
        /** Adds the list's consenting matches (rows add up). */
        ADD,
        /** Removes the list's matches: an advertiser's opt-out list, honoured without touching its campaigns. */
        REMOVE,
        /** Replaces the members and upload counts by the list's, atomically. */
        REPLACE
    }

    /** Streams one upload (worker thread): matches are kept as numbers, consenting now; every digest is dropped. */
    public UploadReport upload(String advertiser, String id, InputStream body) {
        return changeMembers(advertiser, id, body, MembersChange.ADD, false);
    }

    /** As {@link #upload}; {@code csv}: rows of several identifiers under a header (docs/identifiers.md). */
    public UploadReport upload(String advertiser, String id, InputStream body, boolean csv) {
        return changeMembers(advertiser, id, body, MembersChange.ADD, csv);
    }

    /**
     * Streams one list (worker thread) and applies it as {@code change}. The answer holds the list's own counts,
     * never how many matched or were removed. Every accepted change moves the audience's version, so the next
     * report is a new question for the privacy budget (docs/privacy.md).
     */
    public UploadReport changeMembers(String advertiser, String id, InputStream body, MembersChange change,
                                      boolean csv) {
        Audience audience = find(advertiser, id).await().indefinitely();
        long started = System.nanoTime();
        MatchingUpload.Outcome outcome;
        try {
            if (csv) {
                outcome = rows.read(body, java.util.Set.copyOf(audience.identifierTypes()));
            } else if (audience.identifierType() == null) {
                throw new ProblemException(415, "Unsupported Media Type", "this audience takes rows of several "
                        + "identifiers: send text/csv with a header naming its columns");
            } else {
                outcome = upload.read(body, audience.identifierType());
            }
        } catch (LineReader.TooLargeException e) {
            throw Uploads.tooLarge(e);
        } catch (IOException e) {
            throw ProblemException.badRequest("the body could not be read to its end; nothing of it was stored");
        }
        Purpose consent = audience.channel().purpose();
        Uni<Boolean> applied = switch (change) {
            case ADD -> store.merge(audience, consent, outcome);
            case REMOVE -> store.remove(audience, outcome);
            case REPLACE -> store.replace(audience, consent, outcome);
        };
        boolean done = applied.await().indefinitely();
        if (!done) {
            throw ProblemException.notFound("the audience was deleted or expired during the upload");
        }
        String kind = switch (change) {
            case ADD -> "audience.uploaded";
            case REMOVE -> "audience.members_removed";
            case REPLACE -> "audience.members_replaced";
        };
        audit.record(kind, Map.of("advertiser", advertiser, "audience", id,
                "received", "" + outcome.received(), "valid", "" + outcome.valid(), "invalid", "" + outcome.invalid(),
                "plaintext_rejected", "" + outcome.plaintextRejected())).await().indefinitely();
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
        Map<Channel, String> consentNames = new EnumMap<>(Channel.class);
        for (Channel channel : Channel.values()) {
            consentNames.put(channel, SubscriberStore.consentName(channel.purpose()));
        }
        List<String> segmentNames = segmentIds.stream().map(SegmentStore::bitmapName).toList();
        return store.report(advertiser, id, consentNames, segments.registryKey(), segmentIds, segmentNames)
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
                    return counted;
                })
                .flatMap(counted -> {
                    Audience audience = counted.audience();
                    Question question = Question.audience(audience.id(), segmentIds, audience.version());
                    return disclosure.disclose(advertiser, question, counted.exact()).map(shown -> {
                        reportTimer.record(Duration.ofNanos(System.nanoTime() - started));
                        return Report.of(audience, segmentIds, shown);
                    });
                });
    }

    private static ProblemException noSegment(int index) {
        return ProblemException.badRequest("segments[" + index + "] names no segment of this audience's channel");
    }
}
