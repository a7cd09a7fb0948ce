package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.consent.SubscriberApi.BulkLine;
import be.audiencematch.kernel.JsonProblems;
import be.audiencematch.support.Keys;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bulk line, read as the service reads it (the hand-written reader, else Jackson and validation), against Jackson's
 * strict reading of the same bytes: both take it into the same chunk line, or both refuse it, with nothing but the
 * typed validation errors. Regression mode runs the corpus in BulkLineParserFuzzTestInputs; JAZZER_FUZZ=1 fuzzes.
 */
class BulkLineParserFuzzTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectReader SERVICE = SubscriberService.bulkLineReader(MAPPER);
    /** The oracle: the whole line must be one JSON object of the bulk shape. */
    private static final ObjectReader STRICT = MAPPER.readerFor(BulkLine.class)
            .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final SubscriberStore STORE = new SubscriberStore(null, KeySpace.of(Keys.prefix(), false, 1), 12);

    @FuzzTest
    void lineReadsAsJacksonDoes(byte[] line) {
        BulkChunk service = STORE.bulkChunk(2, null);
        boolean fast = BulkLineParser.addTo(service, line, 0, line.length);
        if (!fast) {
            assertEquals(0, service.size(), "a refused line leaves nothing in the chunk");
        }
        boolean taken = fast || takes(() -> SubscriberService.bulkLine(SERVICE, line, 0, line.length), service);
        BulkChunk oracle = STORE.bulkChunk(2, null);
        boolean valid = takes(() -> {
            BulkLine parsed;
            try {
                parsed = STRICT.readValue(line, 0, line.length);
            } catch (java.io.CharConversionException notUtf8) {
                throw new SubscriberValidation.Invalid("not UTF-8");
            }
            if (parsed == null) {
                throw new SubscriberValidation.Invalid("not an object");
            }
            return SubscriberValidation.toSubscriber(parsed.subscriberId(), "field 'subscriber_id'",
                    parsed.identifiers(), parsed.householdId(), parsed.consents());
        }, oracle);
        assertEquals(valid, taken, "the service and Jackson agree whether the line is valid");
        if (valid) {
            assertTrue(service.sameLine(0, oracle, 0), "the service keeps what Jackson reads");
        }
    }

    interface Reading {
        Subscriber read() throws IOException;
    }

    /** Reads and validates the line into the chunk; false on the typed errors, anything else fails the test. */
    private static boolean takes(Reading reading, BulkChunk chunk) {
        try {
            chunk.add(reading.read());
            return true;
        } catch (JsonProcessingException e) {
            assertNotNull(JsonProblems.describe(e));
            return false;
        } catch (SubscriberValidation.Invalid e) {
            assertFalse(e.getMessage().isEmpty());
            return false;
        } catch (IOException e) {
            throw new AssertionError("reading bytes in memory cannot fail on I/O", e);
        }
    }
}
