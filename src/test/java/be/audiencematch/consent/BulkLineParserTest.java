package be.audiencematch.consent;

import be.audiencematch.kernel.KeySpace;
import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.consent.SubscriberApi.BulkLine;
import be.audiencematch.support.Keys;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-written reader must put a line in the chunk exactly as Jackson plus validation would, or leave it alone. */
class BulkLineParserTest {

    private static final ObjectReader JACKSON = new ObjectMapper().readerFor(BulkLine.class)
            .with(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final String HEX = "aB".repeat(32);
    private static final SubscriberStore STORE = new SubscriberStore(null, KeySpace.of(Keys.prefix(), false, 1), 12);

    @Test
    void readsTheUsualShapesExactlyAsTheGeneralPathDoes() throws Exception {
        List<String> lines = List.of(
                SyntheticBase.ndjsonLine(7).strip(),
                SyntheticBase.ndjsonLine(123_456).strip(),
                "{\"consents\":{\"ads_and_data\":true,\"tv\":false},\"household_id\":\"hh-9\",\"subscriber_id\":\"s.1\","
                        + "\"identifiers\":[{\"value\":\"" + HEX + "\",\"type\":\"phone_sha256\"}]}",
                " { \"subscriber_id\" : \"s_2:x\" ,\t\"identifiers\" : [ ] , \"consents\" : { } } \r",
                "{\"subscriber_id\":\"s-3\"}",
                "{\"subscriber_id\":\"s-4\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\" :\t\"" + HEX + "\" }]}",
                "{\"subscriber_id\":\"" + "x".repeat(128) + "\",\"household_id\":\"" + "h".repeat(128) + "\"}");
        BulkChunk fast = STORE.bulkChunk(16, null);
        BulkChunk general = STORE.bulkChunk(16, null);
        for (String line : lines) {
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            assertTrue(BulkLineParser.addTo(fast, bytes, 0, bytes.length), "the fast path takes: " + line);
            BulkLine parsed = JACKSON.readValue(bytes, BulkLine.class);
            general.add(SubscriberValidation.toSubscriber(parsed.subscriberId(), "id", parsed.identifiers(),
                    parsed.householdId(), parsed.consents()));
            assertTrue(fast.sameLine(fast.size() - 1, general, general.size() - 1), line);
        }
    }

    @Test
    void leavesEverythingUnusualOrInvalidToTheGeneralPath() {
        List<String> lines = List.of(
                "{not json",
                "",
                "[]",
                "{}",
                "{\"identifiers\":[]}",
                "{\"subscriber_id\":\"s-1\",\"rijksregisternummer\":\"85.07.30-033.28\"}",
                "{\"subscriber_id\":\"s-1\",\"subscriber_id\":\"s-2\"}",
                "{\"subscriber_id\":null}",
                "{\"subscriber_id\":42}",
                "{\"subscriber_id\":\"\"}",
                "{\"subscriber_id\":\"" + "x".repeat(129) + "\"}",
                "{\"subscriber_id\":\"s 1\"}",
                "{\"subscriber_id\":\"s-1\",\"household_id\":\"h/1\"}",
                "{\"subscriber_id\":\"s\\u002d1\"}",
                "{\"subscriber_id\":\"séverine\"}",
                "{\"subscriber_id\":\"s-1\",\"consents\":{\"tv\":\"yes\"}}",
                "{\"subscriber_id\":\"s-1\",\"consents\":{\"tv\":true,\"tv\":false}}",
                "{\"subscriber_id\":\"s-1\",\"consents\":{\"radio\":true}}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{\"type\":\"email_sha256\"}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"jan@example.be\"}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"" + HEX.substring(1) + "g\"}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{\"type\":\"national_id\",\"value\":\"" + HEX + "\"}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"" + HEX + "a\"}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"" + HEX.substring(2) + "\"\"}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"\\u0061" + HEX.substring(6) + "\"}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\"" + HEX,
                "{\"subscriber_id\":\"s-1\",\"identifiers\":[{\"type\":\"email_sha256\",\"type\":\"phone_sha256\"}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":" + "[" + ("{\"type\":\"email_sha256\",\"value\":\"" + HEX
                        + "\"},").repeat(16) + "{\"type\":\"email_sha256\",\"value\":\"" + HEX + "\"}]}",
                "{\"subscriber_id\":\"s-1\",\"identifiers\":{}}",
                "{\"subscriber_id\":\"s-1\",}",
                "{\"subscriber_id\":\"s-1\"} trailing",
                "{\"subscriber_id\":\"s-1\"",
                "{\"subscriber_id\":\"s-1\",\"consents\":{\"tv\":tru}}");
        BulkChunk chunk = STORE.bulkChunk(4, null);
        for (String line : lines) {
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            assertFalse(BulkLineParser.addTo(chunk, bytes, 0, bytes.length), line);
        }
        assertEquals(0, chunk.size(), "a refused line leaves nothing in the chunk");
    }

    @Test
    void aRefusedLineLeavesTheLinesBeforeItWhole() {
        BulkChunk chunk = STORE.bulkChunk(4, null);
        BulkChunk expected = STORE.bulkChunk(4, null);
        byte[] good = SyntheticBase.ndjsonLine(1).strip().getBytes(StandardCharsets.UTF_8);
        byte[] bad = ("{\"subscriber_id\":\"other-id\",\"household_id\":\"other-household\",\"identifiers\":[{\"type\":"
                + "\"email_sha256\",\"value\":\"" + HEX + "\"},{\"type\":\"phone_sha256\",\"value\":\"short\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        assertTrue(BulkLineParser.addTo(chunk, good, 0, good.length));
        assertFalse(BulkLineParser.addTo(chunk, bad, 0, bad.length));
        assertTrue(BulkLineParser.addTo(chunk, good, 0, good.length));
        assertTrue(BulkLineParser.addTo(expected, good, 0, good.length));
        assertEquals(2, chunk.size());
        assertTrue(chunk.sameLine(1, expected, 0), "the line after a refused one is whole");
    }

    @Test
    void readsOnlyTheSliceItIsGiven() {
        String line = SyntheticBase.ndjsonLine(5).strip();
        byte[] framed = ("xx" + line + "{\"more\"").getBytes(StandardCharsets.UTF_8);
        BulkChunk chunk = STORE.bulkChunk(2, null);
        assertTrue(BulkLineParser.addTo(chunk, framed, 2, 2 + line.length()));
        byte[] plain = line.getBytes(StandardCharsets.UTF_8);
        BulkChunk expected = STORE.bulkChunk(2, null);
        assertTrue(BulkLineParser.addTo(expected, plain, 0, plain.length));
        assertTrue(chunk.sameLine(0, expected, 0));
    }
}
