package be.audiencematch.consent;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The bulk load's default chunk: about 8 lines a bucket on a large base, within memory and overlap bounds. */
class BulkChunkSizeTest {

    @Test
    void growsWithTheBucketsFromSeventeenBitsAndStopsAtAMillion() {
        assertEquals(524_288, SubscriberService.defaultChunkSize(8), "a small base");
        assertEquals(524_288, SubscriberService.defaultChunkSize(15), "1M subscribers: two chunks, overlapped");
        assertEquals(524_288, SubscriberService.defaultChunkSize(16));
        assertEquals(1_048_576, SubscriberService.defaultChunkSize(17), "10M subscribers: 8 lines a bucket");
        assertEquals(1_048_576, SubscriberService.defaultChunkSize(20), "at most a million lines of heap");
    }
}
