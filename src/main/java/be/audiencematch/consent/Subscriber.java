package be.audiencematch.consent;

import be.audiencematch.identity.HashedIdentifier;

import java.util.List;

/** One subscriber as the feed sends it: its hashed identifiers, its household (may be null) and its consents. */
public record Subscriber(String id, List<HashedIdentifier> identifiers, String householdId, Consents consents) {

    public Subscriber {
        identifiers = List.copyOf(identifiers);
    }

    @Override
    public String toString() {
        return "Subscriber[redacted, " + identifiers.size() + " identifiers]";
    }
}
