package be.audiencematch.security;

/** The roles a bearer token may carry in its {@code groups} claim. Any other role is refused (403). */
public final class Roles {
    public static final String SUBSCRIBER_FEED = "subscriber-feed";
    public static final String ADVERTISER = "advertiser";
    public static final String ADSERVER = "adserver";
    public static final String ADSDATA = "adsdata";
    public static final String DPO = "dpo";

    public static final java.util.List<String> ALL = java.util.List.of(SUBSCRIBER_FEED, ADVERTISER, ADSERVER, ADSDATA, DPO);

    private Roles() {
    }
}
