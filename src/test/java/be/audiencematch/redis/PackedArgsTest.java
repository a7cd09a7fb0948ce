package be.audiencematch.redis;

import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.CommandArgs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The wire format PackedArgs writes must be exactly what Lettuce writes for the same arguments. */
class PackedArgsTest {

    private static byte[] encoded(CommandArgs<byte[], byte[]> args) {
        ByteBuf buf = Unpooled.buffer();
        args.encode(buf);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        return bytes;
    }

    @Test
    void writesWhatLettuceWrites() {
        byte[] binary = new byte[300];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        PackedArgs packed = new PackedArgs(8);
        CommandArgs<byte[], byte[]> plain = new CommandArgs<>(ByteArrayCodec.INSTANCE);
        for (long n : new long[] {0, 7, 10, 99, 100, 123_456_789_012L}) {
            packed.addDecimal(n);
            plain.add(Long.toString(n).getBytes(StandardCharsets.US_ASCII));
        }
        packed.add(new byte[0]).add(binary).add(binary, 10, 20);
        plain.add(new byte[0]).add(binary).add(java.util.Arrays.copyOfRange(binary, 10, 30));
        packed.begin(3).put((byte) 'a').put("bcd".getBytes(StandardCharsets.US_ASCII), 0, 2).end();
        plain.add("abc".getBytes(StandardCharsets.US_ASCII));
        packed.begin(8).putInt(0x01020304).putInt(-2).end();
        plain.add(new byte[] {1, 2, 3, 4, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xfe});
        assertArrayEquals(encoded(plain), encoded(packed));
        assertEquals(plain.count(), packed.count());
    }

    @Test
    void asAScriptCallItLeadsWithTheDigestAndNoKeys() {
        PackedArgs packed = new PackedArgs(8).addDecimal(42);
        byte[] digest = "0123456789abcdef0123456789abcdef01234567".getBytes(StandardCharsets.US_ASCII);
        CommandArgs<byte[], byte[]> plain = new CommandArgs<>(ByteArrayCodec.INSTANCE)
                .add(digest).add("0".getBytes(StandardCharsets.US_ASCII)).add("42".getBytes(StandardCharsets.US_ASCII));
        PackedArgs script = packed.forScript(digest);
        assertArrayEquals(encoded(plain), encoded(script));
        assertEquals(3, script.count());
        assertFalse(script.toString().contains("42"), "the arguments never show in logs");
    }
}
