package be.audiencematch.identity;

import java.util.Optional;

/**
 * The identifier types an advertiser or the subscriber feed may send. Both are SHA-256 digests of a normalised value.
 * The national register number is deliberately absent and must never be added (privacy policy, "Welke gegevens
 * verwerken wij": kept for the authorities only).
 */
public enum IdentifierType {
    EMAIL_SHA256("email_sha256", (byte) 'e'),
    PHONE_SHA256("phone_sha256", (byte) 'p');

    private final String wireName;
    private final byte code;

    IdentifierType(String wireName, byte code) {
        this.wireName = wireName;
        this.code = code;
    }

    /** The name used in JSON bodies and query parameters. */
    public String wireName() {
        return wireName;
    }

    /** One byte that stands for the type in Redis keys and records. */
    public byte code() {
        return code;
    }

    /** Looked up for every identifier of a bulk load: a plain loop, no stream. */
    public static Optional<IdentifierType> fromWireName(String name) {
        for (IdentifierType t : VALUES) {
            if (t.wireName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private static final IdentifierType[] VALUES = values();
}
