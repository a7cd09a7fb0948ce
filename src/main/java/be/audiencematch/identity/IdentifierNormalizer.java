package be.audiencematch.identity;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The one place that turns a clear-text e-mail address or phone number into the value that is hashed. The rules are
 * those of Google Customer Match, so an advertiser's existing hashing pipeline produces the same digests
 * (docs/identifiers.md). Used by the {@code hash} command, the demo, the benchmark and the tests; the service itself
 * never receives clear text.
 */
public final class IdentifierNormalizer {

    public static final String DEFAULT_REGION = "BE";

    private final String defaultRegion;

    public IdentifierNormalizer(String defaultRegion) {
        this.defaultRegion = defaultRegion.toUpperCase(Locale.ROOT);
    }

    public IdentifierNormalizer() {
        this(DEFAULT_REGION);
    }

    /** Trimmed and lower-cased. */
    public String normalizeEmail(String email) {
        String value = email.strip().toLowerCase(Locale.ROOT);
        if (value.isEmpty() || value.indexOf('@') <= 0 || value.indexOf('@') == value.length() - 1) {
            throw new IllegalArgumentException("not an e-mail address");
        }
        return value;
    }

    /** E.164 with the leading '+', national numbers read in the default region ("0475 12 34 56" → "+32475123456"). */
    public String normalizePhone(String phone) {
        PhoneNumberUtil util = PhoneNumberUtil.getInstance();
        try {
            Phonenumber.PhoneNumber parsed = util.parse(phone.strip(), defaultRegion);
            if (!util.isPossibleNumber(parsed)) {
                throw new IllegalArgumentException("not a possible phone number");
            }
            return util.format(parsed, PhoneNumberUtil.PhoneNumberFormat.E164);
        } catch (NumberParseException e) {
            throw new IllegalArgumentException("not a phone number", e);
        }
    }

    public String normalize(IdentifierType type, String clearText) {
        return type == IdentifierType.EMAIL_SHA256 ? normalizeEmail(clearText) : normalizePhone(clearText);
    }

    public String hashHex(IdentifierType type, String clearText) {
        return HexFormat.of().formatHex(sha256(normalize(type, clearText)));
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
