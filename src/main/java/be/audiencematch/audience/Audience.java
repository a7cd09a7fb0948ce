package be.audiencematch.audience;

import be.audiencematch.consent.Channel;
import be.audiencematch.identity.IdentifierType;

import java.time.Instant;

/**
 * An advertiser's customer list, as the service keeps it: metadata and upload counts (members live in a bitmap).
 * {@code version} moves with every upload accepted, whatever it matched: it is what makes a report a new question
 * for the privacy budget (docs/privacy.md, "What makes a question new"). An audience of several identifier types
 * (rows of several identifiers, docs/identifiers.md) has no single {@code identifierType}.
 */
public record Audience(String id, String advertiser, String name, Channel channel, IdentifierType identifierType,
                       long received, long valid, long invalid, long plaintextRejected, Instant createdAt,
                       Instant expiresAt, long version, java.util.List<IdentifierType> identifierTypes) {

    /** {@code identifierType} is the audience's one type, or null when it takes rows of several (text/csv). */
    public Audience {
        identifierTypes = java.util.List.copyOf(identifierTypes);
    }
}
