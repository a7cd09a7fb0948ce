import org.roaringbitmap.BitSetUtil;
import org.roaringbitmap.RoaringBitmap;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What a sparse audience costs the eligibility view raw and compressed (eligibility/ViewBitmap builds its
 * RoaringBitmap the same way: BitSetUtil over bit-reversed words, then runOptimize): heap a bitmap, time to build
 * one, and time of one bit test, over N = 10M, 100M and 1B numbers. A rough comparison, not JMH: run it on an idle
 * machine, a few times. Used by docs/scaling.md, "Eligibility: throughput and heap per replica".
 *
 * Run from the repository root (Java 17, single-file source):
 *   java -Xmx3g -cp ~/.m2/repository/org/roaringbitmap/RoaringBitmap/1.6.29/RoaringBitmap-1.6.29.jar \
 *       docs/experiments/ViewBitmapMicro.java [members]
 */
public class ViewBitmapMicro {

    public static void main(String[] args) {
        int members = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        Random random = new Random(20261202);
        for (int n : new int[] {10_000_000, 100_000_000, 1_000_000_000}) {
            byte[] raw = new byte[n / 8];
            for (int k = 0; k < members; k++) {
                int number = random.nextInt(n);
                raw[number >>> 3] |= (byte) (0x80 >>> (number & 7));
            }
            List<RoaringBitmap> kept = new ArrayList<>();
            long before = usedHeap();
            long buildNanos = 0;
            int copies = 20;
            for (int c = 0; c < copies; c++) {
                long started = System.nanoTime();
                kept.add(compressed(raw));
                buildNanos += System.nanoTime() - started;
            }
            long heap = (usedHeap() - before) / copies;
            RoaringBitmap bitmap = kept.get(0);
            int[] probes = new int[1 << 16];
            for (int i = 0; i < probes.length; i++) {
                probes[i] = random.nextInt(n);
            }
            double rawNs = 0;
            double compressedNs = 0;
            long found = 0;
            for (int round = 0; round < 6; round++) {
                long started = System.nanoTime();
                for (int k = 0; k < 100; k++) {
                    for (int p : probes) {
                        found += (raw[p >>> 3] & (0x80 >>> (p & 7))) != 0 ? 1 : 0;
                    }
                }
                long middle = System.nanoTime();
                for (int k = 0; k < 100; k++) {
                    for (int p : probes) {
                        found += bitmap.contains(p) ? 1 : 0;
                    }
                }
                long ended = System.nanoTime();
                if (round >= 3) {       // the first rounds warm up
                    rawNs += (middle - started) / (100.0 * probes.length) / 3;
                    compressedNs += (ended - middle) / (100.0 * probes.length) / 3;
                }
            }
            System.out.printf("N=%,d members=%,d: raw %,d B; compressed %,d B of heap (getSizeInBytes %,d,"
                            + " %d containers), built in %.1f ms; a bit test raw %.1f ns, compressed %.1f ns (%d)%n",
                    n, bitmap.getCardinality(), raw.length, heap, bitmap.getLongSizeInBytes(),
                    bitmap.getContainerCount(), buildNanos / 1e6 / copies, rawNs, compressedNs, found);
        }
    }

    private static RoaringBitmap compressed(byte[] bits) {
        long[] words = new long[(bits.length + 7) >>> 3];
        ByteBuffer in = ByteBuffer.wrap(bits);
        for (int i = 0; i < bits.length >>> 3; i++) {
            words[i] = Long.reverse(in.getLong());
        }
        RoaringBitmap bitmap = BitSetUtil.bitmapOf(words);
        bitmap.runOptimize();
        return bitmap;
    }

    private static long usedHeap() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
