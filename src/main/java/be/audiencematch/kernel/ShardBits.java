package be.audiencematch.kernel;

import java.util.List;

/**
 * Bitmaps by subscriber number put together from a base's shards (docs/scaling.md, "Numbers"): each shard's
 * bitmaps are indexed by its local numbers, and a reader that spans shards (an export cursor, a replica's eligibility
 * view) indexes by global number.
 */
public final class ShardBits {

    private ShardBits() {
    }

    /**
     * One bitmap by global subscriber number from each shard's bitmap by local number: local number l of shard s
     * is global number l × S + s (docs/scaling.md, "Numbers"). A null part is read as empty; one part is kept as it
     * is; all parts null give null.
     */
    public static byte[] interleave(List<byte[]> parts) {
        int shards = parts.size();
        if (shards == 1) {
            return parts.get(0);
        }
        long bits = 0;
        boolean any = false;
        for (int s = 0; s < shards; s++) {
            byte[] part = parts.get(s);
            if (part != null) {
                any = true;
                bits = Math.max(bits, (long) part.length * 8 * shards);
            }
        }
        if (!any) {
            return null;
        }
        byte[] out = new byte[(int) ((bits + 7) / 8)];
        for (int s = 0; s < shards; s++) {
            byte[] part = parts.get(s);
            for (int i = 0; part != null && i < part.length; i++) {
                int b = part[i] & 0xff;
                while (b != 0) {
                    int high = Integer.numberOfLeadingZeros(b) - 24;
                    long g = (long) (i * 8 + high) * shards + s;
                    out[(int) (g >>> 3)] |= (byte) (0x80 >>> (g & 7));
                    b &= ~(0x80 >>> high);
                }
            }
        }
        return out;
    }

}
