package be.audiencematch.campaign;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A campaign's reach reads household tags in BITFIELD batches that never cross a block of {p}hhof. */
class HouseholdTagBatchesTest {

    @Test
    void batchesStopAtTheirSizeAndAtEveryBlockEdge() {
        // Blocks of 4 numbers, batches of at most 3: 0 1 2 | 3 || 4 5 6 | 7 || 9 || 12
        List<int[]> batches = CampaignStore.tagBatches(List.of(0, 1, 2, 3, 4, 5, 6, 7, 9, 12), 4, 3);
        assertEquals(List.of("0-3", "3-4", "4-7", "7-8", "8-9", "9-10"),
                batches.stream().map(b -> b[0] + "-" + b[1]).toList());
    }

    @Test
    void noNumbersNoReads() {
        assertEquals(0, CampaignStore.tagBatches(List.of(), 4, 3).size());
    }
}
