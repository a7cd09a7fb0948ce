package be.audiencematch.privacy;

import java.util.List;
import java.util.TreeSet;

/**
 * What an advertiser asked, as far as the privacy budget is concerned (docs/privacy.md, "What makes a question
 * new"): the kind and id of what was counted, its segments (sorted and distinct: order and repetition make no new
 * question) and a version that moves with every upload or removal the advertiser made to it, whether or not that
 * changed what is stored. Never the count itself: a reuse keyed on the count would tell whether it moved.
 */
public record Question(String kind, String id, List<String> segments, String version) {

    public Question {
        segments = List.copyOf(new TreeSet<>(segments));
    }

    public static Question audience(String id, List<String> segments, long version) {
        return new Question("audience", id, segments, Long.toString(version));
    }

    public static Question campaign(String id, long audienceVersion) {
        return new Question("campaign", id, List.of(), Long.toString(audienceVersion));
    }

    /** The text the ledger keys the answer by (hashed with the advertiser). */
    String canonical() {
        return kind + "\n" + id + "\n" + String.join(",", segments) + "\n" + version;
    }

    /** What the audit trail names: "audience:aud_…" or "campaign:cmp_…". */
    String target() {
        return kind + ":" + id;
    }
}
