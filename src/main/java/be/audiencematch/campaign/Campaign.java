package be.audiencematch.campaign;

import be.audiencematch.consent.Channel;

import java.time.Instant;
import java.util.List;

/**
 * A campaign: an advertiser's audience, optionally narrowed to segments of its channel, less the members of the
 * audiences it excludes (its existing customers, say), shown between two instants.
 */
public record Campaign(String id, String advertiser, String audienceId, Channel channel, List<String> segments,
                       Instant startsAt, Instant endsAt, Instant createdAt, List<String> excludedAudienceIds) {

    public Campaign {
        segments = List.copyOf(segments);
        excludedAudienceIds = List.copyOf(excludedAudienceIds);
    }

    /** scheduled, active or ended at {@code now}. */
    public String status(Instant now) {
        if (now.isBefore(startsAt)) {
            return "scheduled";
        }
        return now.isBefore(endsAt) ? "active" : "ended";
    }
}
