package be.audiencematch.consent;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The relink trace a sharded subscriber write leaves in its home shard's {@code relink} hash between its first and
 * last step (docs/scaling.md, "A write across shards"): the subscriber id, then the records it had before the writes
 * not linked yet, each after its length (u16). The Lua writer is {@code relink_lib.lua}; this is the one Java reader.
 */
record RelinkTrace(String subscriberId, List<byte[]> oldRecords) {

    static RelinkTrace decode(byte[] trace) {
        ByteBuffer in = ByteBuffer.wrap(trace);
        String id = new String(next(in), StandardCharsets.UTF_8);
        List<byte[]> olds = new ArrayList<>();
        while (in.hasRemaining()) {
            olds.add(next(in));
        }
        return new RelinkTrace(id, olds);
    }

    private static byte[] next(ByteBuffer in) {
        byte[] part = new byte[in.getShort() & 0xffff];
        in.get(part);
        return part;
    }
}
