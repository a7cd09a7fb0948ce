package be.audiencematch.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The table of normalisation cases that the advertisers' page is checked against too
 * (src/test/browser/normalise.test.mjs reads the same file): the browser hashes exactly what the Java normaliser,
 * and so {@code bin/audience-match hash}, would hash (docs/advertiser-page.md, "Normalisation").
 */
class NormalisationCasesTest {

    static JsonNode cases() throws IOException {
        try (InputStream in = NormalisationCasesTest.class.getResourceAsStream("/normalisation-cases.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void theJavaNormaliserGivesEveryCaseOfTheSharedTable() throws IOException {
        JsonNode all = cases();
        assertTrue(all.size() >= 30, "the shared table keeps at least 30 cases");
        List<String> wrong = new ArrayList<>();
        int index = 0;
        for (JsonNode c : all) {
            IdentifierNormalizer normalizer = new IdentifierNormalizer(c.get("country").asText());
            IdentifierType type = "email".equals(c.get("type").asText()) ? IdentifierType.EMAIL_SHA256
                    : IdentifierType.PHONE_SHA256;
            String expected = c.get("normalised").isNull() ? null : c.get("normalised").asText();
            String actual;
            try {
                actual = normalizer.normalize(type, c.get("input").asText());
            } catch (IllegalArgumentException refused) {
                actual = null;
            }
            if (expected == null ? actual != null : !expected.equals(actual)) {
                // Case numbers only: the table is made up, but the habit of not echoing values is kept.
                wrong.add("case " + index + " (" + c.get("type").asText() + ")");
            }
            index++;
        }
        assertTrue(wrong.isEmpty(), () -> "the Java normaliser differs from the table in " + wrong);
    }

    @Test
    void theTableHoldsValidAndInvalidCasesOfBothTypes() throws IOException {
        int[] counts = new int[4];
        for (JsonNode c : cases()) {
            counts[("email".equals(c.get("type").asText()) ? 0 : 2) + (c.get("normalised").isNull() ? 1 : 0)]++;
        }
        for (int count : counts) {
            assertTrue(count >= 5, "each of valid/invalid e-mails/phones has at least 5 cases");
        }
    }
}
