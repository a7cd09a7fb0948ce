package be.audiencematch.consent;

/** A subscriber's consent per purpose. Built fail-closed: a flag that was not sent is false. */
public record Consents(boolean tv, boolean web, boolean adsAndData) {

    public static Consents of(Boolean tv, Boolean web, Boolean adsAndData) {
        return new Consents(Boolean.TRUE.equals(tv), Boolean.TRUE.equals(web), Boolean.TRUE.equals(adsAndData));
    }
}
