package be.audiencematch.identity;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A SHA-256 digest of a normalised identifier, held in binary. Its {@link #toString()} never reveals the digest, so
 * that it cannot leak into a log line by accident.
 */
public record HashedIdentifier(IdentifierType type, byte[] digest) {

    public static final int DIGEST_BYTES = 32;

    public HashedIdentifier {
        if (digest.length != DIGEST_BYTES) {
            throw new IllegalArgumentException("a SHA-256 digest has 32 bytes");
        }
    }

    /** Parses 64 hex characters (either case); anything else is rejected by {@link HashedRows}. */
    public static HashedIdentifier ofHex(IdentifierType type, String hex) {
        return new HashedIdentifier(type, HexFormat.of().parseHex(hex));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HashedIdentifier other && other.type == type && Arrays.equals(other.digest, digest);
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Arrays.hashCode(digest);
    }

    @Override
    public String toString() {
        return "HashedIdentifier[" + type.wireName() + ", redacted]";
    }
}
