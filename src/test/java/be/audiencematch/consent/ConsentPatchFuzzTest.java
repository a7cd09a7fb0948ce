package be.audiencematch.consent;

import be.audiencematch.consent.SubscriberApi.ConsentFlags;
import be.audiencematch.kernel.JsonProblems;
import be.audiencematch.kernel.OperatorIds;
import be.audiencematch.kernel.ProblemException;
import be.audiencematch.kernel.ProblemMappers;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A consent patch ({@code PATCH /v1/subscribers/{id}/consents}) as the service reads it: the path id checked, the body
 * read as the flags (unknown fields refused, as quarkus.jackson.fail-on-unknown-properties says) and turned into
 * changes. Only the typed errors may come out, and their words never quote the id. Corpus in
 * ConsentPatchFuzzTestInputs; JAZZER_FUZZ=1 fuzzes.
 */
class ConsentPatchFuzzTest {

    private static final ObjectReader FLAGS = new ObjectMapper().readerFor(ConsentFlags.class)
            .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @FuzzTest
    void patchIsReadOrRefused(byte[] body) {
        // The same bytes serve as the path's id (as a client could send them, percent-decoded).
        String id = new String(body, StandardCharsets.UTF_8);
        try {
            SubscriberValidation.checkSubscriberId(id, "path 'subscriberId'");
            assertTrue(OperatorIds.isSubscriberOrHouseholdId(id));
        } catch (SubscriberValidation.Invalid e) {
            // Refused: not an id at all, or an id that looks like a national register number (the policy forbids it).
            assertTrue(!OperatorIds.isSubscriberOrHouseholdId(id)
                    || be.audiencematch.identity.NationalRegisterNumber.looksLikeOne(id));
            assertTrue(id.length() < 3 || !e.getMessage().contains(id), "an error never quotes the id");
        }
        try {
            ConsentFlags flags = FLAGS.readValue(body);
            int given = flags == null ? 0 : (flags.tv() == null ? 0 : 1) + (flags.web() == null ? 0 : 1)
                    + (flags.adsAndData() == null ? 0 : 1);
            try {
                Map<Purpose, Boolean> changes = SubscriberService.changes(flags);
                assertEquals(given, changes.size(), "one change per purpose given, none for a purpose left out");
            } catch (ProblemException refused) {
                assertEquals(400, refused.status());
                assertEquals(0, given, "refused only when no purpose is given");
            }
        } catch (JsonProcessingException e) {
            String detail = JsonProblems.describe(e);
            assertFalse(detail.isEmpty());
        } catch (java.io.CharConversionException e) {
            // Not UTF-8 (Jackson guessed UTF-32 from leading zero bytes): the service answers 400 all the same.
            assertEquals(400, new ProblemMappers().unreadableText(e).getStatus());
        } catch (IOException e) {
            throw new AssertionError("reading bytes in memory cannot fail on I/O", e);
        }
    }
}
