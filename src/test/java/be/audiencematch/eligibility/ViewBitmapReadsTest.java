package be.audiencematch.eligibility;

import org.junit.jupiter.api.Test;

import java.util.List;

import static be.audiencematch.eligibility.ViewBitmapReads.MOST_BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** How a view's bitmaps are grouped into calls: none over MOST_BYTES unless one bitmap alone is. */
class ViewBitmapReadsTest {

    @Test
    void smallBitmapsShareOneCall() {
        assertEquals(List.of(List.of("a", "b", "c")), ViewBitmapReads.batches(List.of("a", "b", "c"),
                List.of(1_250_000L, 1_250_000L, 0L)));
    }

    @Test
    void aCallStopsBeforeItWouldPassTheLimit() {
        long third = MOST_BYTES / 3;
        assertEquals(List.of(List.of("a", "b", "c"), List.of("d")), ViewBitmapReads.batches(
                List.of("a", "b", "c", "d"), List.of(third, third, third, third)));
    }

    @Test
    void aBitmapOverTheLimitComesAlone() {
        assertEquals(List.of(List.of("a"), List.of("big"), List.of("b")), ViewBitmapReads.batches(
                List.of("a", "big", "b"), List.of(MOST_BYTES / 2 + 1, MOST_BYTES * 2, MOST_BYTES / 2 + 1)));
    }

    @Test
    void aThousandAudiencesAtTenMillionTakeNineteenCalls() {
        // 1,000 bitmaps of 1.25 MB: the reply that was 1.25 GB in one call is at most 64 MiB a call.
        List<String> keys = java.util.stream.IntStream.range(0, 1_000).mapToObj(i -> "aud" + i).toList();
        List<Long> sizes = java.util.Collections.nCopies(1_000, 1_250_000L);
        List<List<String>> batches = ViewBitmapReads.batches(keys, sizes);
        assertEquals(19, batches.size()); // 53 a call
        batches.forEach(b -> assertEquals(true, b.size() * 1_250_000L <= MOST_BYTES));
    }
}
