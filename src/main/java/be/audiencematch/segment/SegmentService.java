package be.audiencematch.segment;

import be.audiencematch.consent.Channel;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.identity.LineReader;
import be.audiencematch.kernel.OperatorIds;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.kernel.Uploads;
import be.audiencematch.matching.MatchingUpload;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/** The operator's profile segments: replaced whole, atomically, and only if every row is a valid digest. */
@ApplicationScoped
public class SegmentService {

    /** What a replacement did, in counts. */
    public record Replaced(String id, String channel,
                           @com.fasterxml.jackson.annotation.JsonProperty("identifier_type") String identifierType,
                           long received, long members) {
    }

    private final SegmentStore store;
    private final MatchingUpload upload;

    public SegmentService(SegmentStore store, MatchingUpload upload) {
        this.store = store;
        this.upload = upload;
    }

    /**
     * Streams the new membership and swaps it in. A file with any invalid row changes nothing: a half-valid
     * segment file is more likely truncated or garbled than meant.
     */
    public Replaced replace(String segmentId, Channel channel, IdentifierType type, InputStream body) {
        MatchingUpload.Outcome outcome;
        try {
            outcome = upload.read(body, type);
        } catch (LineReader.TooLargeException e) {
            throw Uploads.tooLarge(e);
        } catch (IOException e) {
            throw ProblemException.badRequest("the body could not be read to its end");
        }
        if (outcome.invalid() > 0) {
            throw new ProblemException(400, "Bad Request", outcome.invalid() + " of " + outcome.received()
                    + " rows are not 64-hex SHA-256 digests (" + outcome.plaintextRejected()
                    + " look like clear text); the segment was not changed", outcome.invalidLines());
        }
        long members = store.replace(segmentId, channel, type, outcome.matched())
                .await().indefinitely();
        return new Replaced(segmentId, channel.wireName(), type.wireName(), outcome.received(), members);
    }

    public Uni<List<Segment>> list() {
        return store.list();
    }

    public Uni<Optional<Segment>> find(String segmentId) {
        return store.find(segmentId);
    }

    public Uni<Void> delete(String segmentId) {
        return store.delete(segmentId).invoke(existed -> {
            if (!existed) {
                throw ProblemException.notFound("no segment with that id");
            }
        }).replaceWithVoid();
    }

    public static void checkId(String segmentId) {
        if (segmentId == null || !OperatorIds.SEGMENT_ID.matcher(segmentId).matches()) {
            throw ProblemException.badRequest("segment id must be 1-64 characters of A-Z a-z 0-9 . _ -");
        }
    }
}
