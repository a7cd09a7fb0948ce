package be.audiencematch.identity;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IdentifierNormalizerTest {

    private final IdentifierNormalizer normalizer = new IdentifierNormalizer();

    @ParameterizedTest
    @ValueSource(strings = {"0475 12 34 56", "0032 475 12 34 56", "+32 475/12.34.56", "+32475123456", " 0475-12-34-56 "})
    void belgianPhoneNumbersBecomeE164(String written) {
        assertEquals("+32475123456", normalizer.normalizePhone(written));
    }

    @Test
    void anotherDefaultRegionReadsNationalNumbersThere() {
        assertEquals("+31612345678", new IdentifierNormalizer("NL").normalizePhone("06 12345678"));
    }

    @Test
    void emailIsTrimmedAndLowerCased() {
        assertEquals("jan.peeters@example.be", normalizer.normalizeEmail("  Jan.Peeters@Example.BE \t"));
    }

    @Test
    void digestIsSha256OfTheNormalisedValue() {
        // Published by `printf 'test@example.com' | sha256sum`, independent of this code.
        assertEquals("973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b",
                normalizer.hashHex(IdentifierType.EMAIL_SHA256, " TEST@example.com "));
        assertEquals(normalizer.hashHex(IdentifierType.PHONE_SHA256, "+32475123456"),
                normalizer.hashHex(IdentifierType.PHONE_SHA256, "0475 12 34 56"));
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> normalizer.normalizePhone("call me"));
        assertThrows(IllegalArgumentException.class, () -> normalizer.normalizeEmail("no-at-sign"));
    }
}
