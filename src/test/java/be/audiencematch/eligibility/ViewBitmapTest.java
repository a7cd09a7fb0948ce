package be.audiencematch.eligibility;

import be.audiencematch.campaign.EligibilityRule;
import be.audiencematch.consent.Purpose;
import be.audiencematch.eligibility.ViewBitmaps.Part;
import be.audiencematch.support.Keys;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The view's audience and segment bitmaps, raw or compressed (docs/architecture.md, "Eligibility view"): both forms
 * answer alike for every number, the smaller is kept, and an erasure never changes a compressed bitmap readers hold.
 */
class ViewBitmapTest {

    /** Numbers at the edges of a byte, of a 64-bit word and of a RoaringBitmap container. */
    private static final int[] EDGES = {0, 1, 7, 8, 63, 64, 65535, 65536, 65537, 131071, 131072};

    @Test
    void rawAndCompressedAnswerAlikeForEveryNumber() {
        Random random = new Random(20261202);
        for (int round = 0; round < 40; round++) {
            // Lengths not a multiple of 8 too (the last, partial word), and densities from empty to full.
            int length = 1 + random.nextInt(40_000);
            double density = switch (round % 5) {
                case 0 -> 0.0005;
                case 1 -> 0.01;
                case 2 -> 0.5;
                case 3 -> 0.99;
                default -> 1.0;
            };
            byte[] bits = new byte[length];
            int last = length * 8 - 1;
            for (int n = 0; n <= last; n++) {
                if (random.nextDouble() < density) {
                    set(bits, n);
                }
            }
            for (int n : EDGES) {
                if (n <= last && random.nextBoolean()) {
                    set(bits, n);
                }
            }
            if (random.nextBoolean()) {
                set(bits, last);
            }
            ViewBitmap raw = new ViewBitmap.Raw(bits.clone());
            ViewBitmap compressed = ViewBitmap.compressed(bits);
            ViewBitmap chosen = ViewBitmap.of(bits.clone());
            for (int n = 0; n <= last + 80; n++) {
                boolean expected = n <= last && EligibilityView.isSet(bits, n);
                assertEquals(expected, raw.has(n), "raw, round " + round + ", number " + n);
                assertEquals(expected, compressed.has(n), "compressed, round " + round + ", number " + n);
                assertEquals(expected, chosen.has(n), "chosen, round " + round + ", number " + n);
            }
            assertFalse(compressed.has(Integer.MAX_VALUE));
            assertFalse(raw.has(Integer.MAX_VALUE));
        }
    }

    @Test
    void aSparseBitmapIsKeptCompressedAndADenseOneRaw() {
        Random random = new Random(7);
        int length = 10_000_000 / 8;                      // 10M subscriber numbers
        byte[] sparse = new byte[length];
        for (int k = 0; k < 100_000; k++) {               // a 100k-member audience: 1 % of the base
            set(sparse, random.nextInt(length * 8));
        }
        set(sparse, length * 8 - 1);
        ViewBitmap kept = ViewBitmap.of(sparse);
        assertInstanceOf(ViewBitmap.Compressed.class, kept);
        assertTrue(kept.sizeInBytes() < length / 4, "about 2 bytes a member: " + kept.sizeInBytes());
        assertTrue(kept.has(length * 8 - 1));

        byte[] dense = new byte[length];
        random.nextBytes(dense);                          // half the base, scattered
        ViewBitmap raw = ViewBitmap.of(dense);
        assertInstanceOf(ViewBitmap.Raw.class, raw);
        assertSame(dense, ((ViewBitmap.Raw) raw).bits(), "kept as read, not copied");
        assertEquals(length, raw.sizeInBytes());

        assertSame(ViewBitmap.EMPTY, ViewBitmap.of(new byte[0]));
    }

    @Test
    void anErasureReplacesACompressedBitmapByACopyAndClearsARawOneInPlace() {
        byte[] sparseBits = new byte[1 << 17];
        set(sparseBits, 65536);
        set(sparseBits, 70_000);
        byte[] denseBits = new byte[4096];
        new Random(3).nextBytes(denseBits);
        set(denseBits, 100);

        EligibilityView view = new EligibilityView(Keys.key(""), 10, 1);
        view.bitmaps().put("sparse", sparseBits);
        view.bitmaps().put("dense", denseBits);
        ViewBitmap before = view.bitmap("sparse");
        ViewBitmap raw = view.bitmap("dense");
        assertInstanceOf(ViewBitmap.Compressed.class, before);
        assertInstanceOf(ViewBitmap.Raw.class, raw);
        long bytesBefore = view.bitmapBytes();
        assertEquals(before.sizeInBytes() + denseBits.length, bytesBefore);

        view.clearErased(65536);
        ViewBitmap after = view.bitmap("sparse");
        assertNotSame(before, after, "a reader's compressed bitmap is never changed");
        assertTrue(before.has(65536), "the old copy, which readers may still hold, keeps the number");
        assertFalse(after.has(65536));
        assertTrue(after.has(70_000), "the neighbour stays");
        assertFalse(view.bitmapHas("sparse", 65536));

        view.clearErased(100);
        assertSame(raw, view.bitmap("dense"), "raw bytes are cleared in place");
        assertFalse(view.bitmapHas("dense", 100));
        ViewBitmap unchanged = view.bitmap("sparse");
        view.clearErased(12_345);                         // in neither: no copy made
        assertSame(unchanged, view.bitmap("sparse"));
        view.clearErased(Integer.MAX_VALUE);              // past both
        assertSame(unchanged, view.bitmap("sparse"));
    }

    @Test
    void theHotPathAnswersAlikeFromCompressedAndRawAudiences() {
        Random random = new Random(11);
        int numbers = 200_000;
        byte[] everyone = new byte[numbers / 8];
        java.util.Arrays.fill(everyone, (byte) 0xFF);
        byte[] audience = new byte[numbers / 8];
        for (int k = 0; k < 300; k++) {
            set(audience, random.nextInt(numbers));
        }
        byte[] segment = new byte[numbers / 8];
        random.nextBytes(segment);
        EligibilityRule rule = new EligibilityRule(0, Long.MAX_VALUE, Purpose.TV, "audience:a:members",
                List.of("segment:s"), List.of());

        EligibilityView compressed = new EligibilityView(Keys.key(""), 10, 1);
        compressed.reset(new long[] {1}, everyone, everyone, everyone, Map.of("c", rule),
                Map.of("audience:a:members", new Part[] {new Part(ViewBitmap.of(audience), 1)},
                        "segment:s", new Part[] {new Part(ViewBitmap.of(segment), 1)}),
                new byte[32]);
        assertInstanceOf(ViewBitmap.Compressed.class, compressed.bitmap("audience:a:members"));
        assertInstanceOf(ViewBitmap.Raw.class, compressed.bitmap("segment:s"));
        for (int n = 0; n < numbers; n++) {
            boolean expected = EligibilityView.isSet(audience, n) && EligibilityView.isSet(segment, n);
            assertEquals(expected ? List.of("c") : List.of(), compressed.eligible(new int[] {n}, List.of("c"), 1),
                    "number " + n);
        }
    }

    private static void set(byte[] bits, int n) {
        bits[n >>> 3] |= (byte) (0x80 >>> (n & 7));
    }
}
