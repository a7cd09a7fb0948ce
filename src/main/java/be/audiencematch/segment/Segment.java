package be.audiencematch.segment;

import be.audiencematch.consent.Channel;
import be.audiencematch.identity.IdentifierType;

import java.time.Instant;

/** A profile segment of the operator ("football fan"), its members held as a bitmap of subscriber numbers. */
public record Segment(String id, Channel channel, IdentifierType identifierType, long members, Instant updatedAt) {
}
