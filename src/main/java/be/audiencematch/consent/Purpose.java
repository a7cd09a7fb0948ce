package be.audiencematch.consent;

import java.util.Arrays;
import java.util.Optional;

/**
 * The purposes a subscriber consents to, kept apart as the privacy policy demands (an objection to one never
 * implies another). Unknown or missing means no.
 */
public enum Purpose {
    /** "Gepersonaliseerde tv-reclame": opt-out, the feed sends true for subscribers who did not object. */
    TV("tv"),
    /** "Gepersonaliseerde reclame op het internet en in mobiele applicaties": opt-in. */
    WEB("web"),
    /** "Gepersonaliseerde reclame via Ads & Data": opt-in. */
    ADS_AND_DATA("ads_and_data");

    private final String wireName;

    Purpose(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<Purpose> fromWireName(String name) {
        return Arrays.stream(values()).filter(p -> p.wireName.equals(name)).findFirst();
    }
}
