package be.audiencematch.redis;

import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.CommandArgs;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Command arguments written straight into one growing byte array in Redis' wire format, for commands with thousands
 * of arguments (bulk loads). Lettuce would otherwise hold an object per argument until Redis answers, which is
 * garbage that lives just long enough to be copied by every young collection. Never prints its content.
 */
public final class PackedArgs extends CommandArgs<byte[], byte[]> {

    private byte[] wire;
    private int size;
    private int count;
    private byte[] head;
    /** How many of the leading arguments are the script's keys (KEYS); the rest are its ARGV. */
    private int keys;

    /** With room for about {@code expectedBytes} of wire format before it has to grow. */
    public PackedArgs(int expectedBytes) {
        super(ByteArrayCodec.INSTANCE);
        this.wire = new byte[Math.max(64, expectedBytes)];
    }

    public PackedArgs add(byte[] value) {
        return add(value, 0, value.length);
    }

    public PackedArgs add(byte[] value, int from, int length) {
        return begin(length).put(value, from, length).end();
    }

    /**
     * Starts a command of {@code arguments} arguments (its name included), for a list of whole commands in wire
     * format ({@link QuietCommands}) rather than one command's arguments.
     */
    public PackedArgs command(int arguments) {
        ensure(16);
        wire[size++] = '*';
        byte[] digits = Integer.toString(arguments).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, wire, size, digits.length);
        size += digits.length;
        wire[size++] = '\r';
        wire[size++] = '\n';
        return this;
    }

    /** Bytes already in wire format, as they are. */
    public PackedArgs raw(byte[] bytes) {
        ensure(bytes.length);
        return put(bytes, 0, bytes.length);
    }

    /** A copy of the bytes written so far. */
    public byte[] wireBytes() {
        return Arrays.copyOf(wire, size);
    }

    /** Starts an argument of {@code length} bytes, to be written with {@link #put} and closed by {@link #end()}. */
    public PackedArgs begin(int length) {
        header(length);
        ensure(length + 2);
        return this;
    }

    public PackedArgs put(byte b) {
        wire[size++] = b;
        return this;
    }

    /** Four bytes, most significant first (within an argument begun with room for them). */
    public PackedArgs putInt(int value) {
        wire[size] = (byte) (value >>> 24);
        wire[size + 1] = (byte) (value >>> 16);
        wire[size + 2] = (byte) (value >>> 8);
        wire[size + 3] = (byte) value;
        size += 4;
        return this;
    }

    public PackedArgs put(byte[] bytes, int from, int length) {
        System.arraycopy(bytes, from, wire, size, length);
        size += length;
        return this;
    }

    public PackedArgs end() {
        wire[size++] = '\r';
        wire[size++] = '\n';
        count++;
        return this;
    }

    /** A decimal number, as Redis reads integers. */
    public PackedArgs addDecimal(long value) {
        if (value < 0) {
            return add(Long.toString(value).getBytes(StandardCharsets.US_ASCII));
        }
        int digits = 1;
        for (long v = value / 10; v > 0; v /= 10) {
            digits++;
        }
        begin(digits);
        for (int i = digits - 1; i >= 0; i--) {
            wire[size + i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        size += digits;
        return end();
    }

    /** The first {@code n} arguments (added before the others) are the script's keys. */
    public PackedArgs keys(int n) {
        this.keys = n;
        return this;
    }

    /** The same arguments as a script's: its digest or body, the number of keys, then these (EVALSHA / EVAL). */
    PackedArgs forScript(byte[] digestOrBody) {
        PackedArgs script = new PackedArgs(0);
        script.keys = keys;
        script.wire = wire;
        script.size = size;
        script.count = count;
        script.head = digestOrBody;
        return script;
    }

    private void header(int length) {
        ensure(16);
        wire[size++] = '$';
        if (length < 10) {
            wire[size++] = (byte) ('0' + length);
        } else if (length < 100) {
            wire[size++] = (byte) ('0' + length / 10);
            wire[size++] = (byte) ('0' + length % 10);
        } else {
            byte[] digits = Integer.toString(length).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(digits, 0, wire, size, digits.length);
            size += digits.length;
        }
        wire[size++] = '\r';
        wire[size++] = '\n';
    }

    private void ensure(int more) {
        if (size + more > wire.length) {
            wire = Arrays.copyOf(wire, Math.max(wire.length * 2, size + more));
        }
    }

    @Override
    public int count() {
        return count + (head == null ? 0 : 2);
    }

    @Override
    public void encode(ByteBuf buf) {
        if (head != null) {
            buf.writeByte('$');
            buf.writeBytes(Integer.toString(head.length).getBytes(StandardCharsets.US_ASCII));
            buf.writeBytes(CRLF_BYTES);
            buf.writeBytes(head);
            byte[] count = Integer.toString(keys).getBytes(StandardCharsets.US_ASCII);
            buf.writeBytes(CRLF_BYTES);
            buf.writeByte('$');
            buf.writeBytes(Integer.toString(count.length).getBytes(StandardCharsets.US_ASCII));
            buf.writeBytes(CRLF_BYTES);
            buf.writeBytes(count);
            buf.writeBytes(CRLF_BYTES);
        }
        buf.writeBytes(wire, 0, size);
    }

    private static final byte[] CRLF_BYTES = {'\r', '\n'};

    @Override
    public String toString() {
        return "PackedArgs[" + count() + " arguments]";
    }

    @Override
    public String toCommandString() {
        return toString();
    }
}
