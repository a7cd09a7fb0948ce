package be.audiencematch.identity;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clear text from an advertiser's file, normalised as e-mail and as phone number: either the typed refusal
 * (IllegalArgumentException) or a value that is already normal (normalising it again changes nothing), in the
 * promised shape. Corpus in IdentifierNormalizerFuzzTestInputs; JAZZER_FUZZ=1 fuzzes.
 */
class IdentifierNormalizerFuzzTest {

    private static final IdentifierNormalizer NORMALIZER = new IdentifierNormalizer();
    private static final Pattern E164 = Pattern.compile("\\+[1-9][0-9]{1,16}");

    @FuzzTest
    void clearTextIsNormalisedOrRefused(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        try {
            String email = NORMALIZER.normalizeEmail(text);
            int at = email.indexOf('@');
            assertTrue(at > 0 && at < email.length() - 1, "one local part and one domain");
            assertEquals(email, NORMALIZER.normalizeEmail(email), "normal already");
            assertEquals(64, NORMALIZER.hashHex(IdentifierType.EMAIL_SHA256, text).length());
        } catch (IllegalArgumentException refused) {
            // the typed refusal
        }
        try {
            String phone = NORMALIZER.normalizePhone(text);
            assertTrue(E164.matcher(phone).matches(), "E.164");
            assertEquals(phone, NORMALIZER.normalizePhone(phone), "normal already");
            assertEquals(64, NORMALIZER.hashHex(IdentifierType.PHONE_SHA256, text).length());
        } catch (IllegalArgumentException refused) {
            // the typed refusal
        }
    }
}
