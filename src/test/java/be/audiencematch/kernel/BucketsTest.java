package be.audiencematch.kernel;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BucketsTest {

    private final Random random = new Random(7);

    @Test
    void upTo16BitsEveryBucketAndNameIsWhatBasesLaidOutBeforeHave() {
        for (int bits = 8; bits <= 16; bits++) {
            Buckets buckets = new Buckets(bits);
            for (int k = 0; k < 2_000; k++) {
                byte[] digest = digest();
                int before = (((digest[0] & 0xff) << 8) | (digest[1] & 0xff)) >>> (16 - bits);
                assertEquals(before, buckets.ofDigest(digest));
                assertEquals(String.format("%04x", before), buckets.name(before));
                assertEquals(before, buckets.stored(before));
                int h = random.nextInt();
                assertEquals(((h ^ (h >>> 16)) & 0xffff) >>> (16 - bits), buckets.ofHash(h));
            }
            assertEquals(buckets, buckets.households());
        }
    }

    @Test
    void beyond16BitsANameIsTheStoredTop16BitsThenTheFieldsLeadingBits() {
        for (int bits = 17; bits <= Buckets.MAX_BITS; bits++) {
            Buckets buckets = new Buckets(bits);
            int extra = bits - 16;
            for (int k = 0; k < 2_000; k++) {
                byte[] digest = digest();
                int bucket = buckets.ofDigest(digest);
                assertTrue(bucket >= 0 && bucket < 1 << bits);
                // What a record keeps (two bytes) and what the scripts rebuild the key from (subscriber_lib.lua).
                String stored = HexFormat.of().formatHex(digest, 0, 2);
                assertEquals(((digest[0] & 0xff) << 8) | (digest[1] & 0xff), buckets.stored(bucket));
                String fifth = Integer.toHexString((digest[2] & 0xff) >>> (8 - extra));
                assertEquals(stored + fifth, buckets.name(bucket));
                assertEquals(5, buckets.nameLength());
                int h = random.nextInt();
                int spread = buckets.ofHash(h);
                assertTrue(spread >= 0 && spread < 1 << bits);
            }
            assertEquals(16, buckets.households().bits());
        }
    }

    @Test
    void idsSpreadEvenlyOver17Bits() {
        Buckets buckets = new Buckets(17);
        int[] count = new int[1 << 17];
        int ids = 1 << 21;
        for (int i = 0; i < ids; i++) {
            count[buckets.ofId("sub-" + i)]++;
        }
        int max = 0;
        for (int c : count) {
            max = Math.max(max, c);
        }
        // 16 a bucket on average; a fair spread stays well under twice that at its fullest (Poisson: ~35).
        assertTrue(max < 45, "fullest bucket: " + max);
    }

    @Test
    void bucketBitsOutsideTheSupportedRangeAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Buckets(7));
        assertThrows(IllegalArgumentException.class, () -> new Buckets(Buckets.MAX_BITS + 1));
    }

    private byte[] digest() {
        byte[] digest = new byte[32];
        random.nextBytes(digest);
        return digest;
    }
}
