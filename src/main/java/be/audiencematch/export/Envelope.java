package be.audiencematch.export;

import be.audiencematch.crypto.AdsDataCipher;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bouncycastle.crypto.InvalidCipherTextException;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The framing of an Ads & Data export (docs/ads-and-data.md): a clear header that says what the export is, then
 * HPKE-sealed chunks. The header is the HPKE {@code info}, and each chunk's AAD names the segment, the key version,
 * both cursors, the chunk number and whether it is the last: a blob cannot pass for another segment, another
 * delta, another position or a complete export when it was cut short.
 * <pre>
 *   "AMX1" | u32 header length | header (JSON) | u16 enc length | enc | { u8 last | u32 length | sealed chunk }*
 * </pre>
 */
public final class Envelope {

    static final byte[] MAGIC = "AMX1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INFO_LABEL = "audience-match/ads-and-data/v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What an export is; travels in clear, bound to every chunk. Never holds pseudonyms. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Header(String suite, String segment, @JsonProperty("key_version") String keyVersion,
                         String cursor, @JsonProperty("next_cursor") String nextCursor, boolean snapshot,
                         String reason, @JsonProperty("created_at") String createdAt) {
    }

    private Envelope() {
    }

    static byte[] info(byte[] header) {
        byte[] info = Arrays.copyOf(INFO_LABEL, INFO_LABEL.length + header.length);
        System.arraycopy(header, 0, info, INFO_LABEL.length, header.length);
        return info;
    }

    static byte[] aad(Header h, int chunk, boolean last) {
        return ("segment=" + h.segment() + "|key_version=" + h.keyVersion() + "|cursor="
                + (h.cursor() == null ? "" : h.cursor()) + "|next_cursor=" + h.nextCursor() + "|chunk=" + chunk
                + "|last=" + (last ? 1 : 0)).getBytes(StandardCharsets.UTF_8);
    }

    /** Writes an export chunk by chunk; the caller marks the last one. */
    public static final class Writer {
        private final DataOutputStream out;
        private final Header header;
        private final AdsDataCipher.Sender sender;
        private int chunk;
        private boolean finished;

        public Writer(OutputStream out, Header header, byte[] partnerPublicKey) throws IOException {
            this.out = new DataOutputStream(out);
            this.header = header;
            byte[] headerBytes = JSON.writeValueAsBytes(header);
            this.sender = AdsDataCipher.sender(partnerPublicKey, info(headerBytes));
            this.out.write(MAGIC);
            this.out.writeInt(headerBytes.length);
            this.out.write(headerBytes);
            byte[] enc = sender.enc();
            this.out.writeShort(enc.length);
            this.out.write(enc);
        }

        public void write(byte[] plaintext, boolean last) throws IOException {
            if (finished) {
                throw new IllegalStateException("the last chunk was already written");
            }
            byte[] sealed = sender.seal(aad(header, chunk++, last), plaintext);
            out.writeByte(last ? 1 : 0);
            out.writeInt(sealed.length);
            out.write(sealed);
            finished = last;
            if (last) {
                out.flush();
            }
        }
    }

    /** Thrown when an export cannot be read: wrong key, changed bytes, swapped header, cut short. */
    public static final class Unreadable extends IOException {
        public Unreadable(String message) {
            super(message);
        }
    }

    /**
     * Reads an export (the partner's side): checks the framing, opens every chunk in order and hands out the
     * plaintexts; returns the header.
     */
    public static Header read(InputStream input, byte[] privateKey, Consumer<byte[]> chunks) throws IOException {
        // Whatever the bytes, the reader's only refusal is Unreadable (found by EnvelopeFuzzTest: a cut-short
        // export, a header of the wrong shape or a bad encapsulated key came out as other exceptions).
        try {
            return readChecked(new DataInputStream(input), privateKey, chunks);
        } catch (EOFException e) {
            throw new Unreadable("the export ends before its last chunk (truncated)");
        } catch (com.fasterxml.jackson.core.JsonProcessingException | java.io.CharConversionException e) {
            throw new Unreadable("the header is not an export header");
        }
    }

    private static Header readChecked(DataInputStream in, byte[] privateKey, Consumer<byte[]> chunks)
            throws IOException {
        byte[] magic = new byte[4];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new Unreadable("not an Audience Match export (bad magic)");
        }
        int headerLength = in.readInt();
        if (headerLength < 2 || headerLength > 65_536) {
            throw new Unreadable("bad header length");
        }
        byte[] headerBytes = new byte[headerLength];
        in.readFully(headerBytes);
        Header header = JSON.readValue(headerBytes, Header.class);
        if (header == null) {
            throw new Unreadable("the header is not an export header");
        }
        byte[] enc = new byte[in.readUnsignedShort()];
        in.readFully(enc);
        AdsDataCipher.Receiver receiver;
        try {
            receiver = AdsDataCipher.receiver(privateKey, AdsDataCipher.publicKeyOf(privateKey), enc, info(headerBytes));
        } catch (RuntimeException e) {
            throw new Unreadable("the export's encapsulated key cannot be read");
        }
        int chunk = 0;
        while (true) {
            int last;
            try {
                last = in.readUnsignedByte();
            } catch (EOFException e) {
                throw new Unreadable("the export ends before its last chunk (truncated)");
            }
            int length = in.readInt();
            if (length < 16 || length > 64 * 1024 * 1024) {
                throw new Unreadable("bad chunk length");
            }
            byte[] sealed = new byte[length];
            in.readFully(sealed);
            try {
                chunks.accept(receiver.open(aad(header, chunk++, last == 1), sealed));
            } catch (InvalidCipherTextException e) {
                throw new Unreadable("chunk " + (chunk - 1) + " does not decrypt: wrong key, or the export was "
                        + "altered");
            }
            if (last == 1) {
                if (in.read() != -1) {
                    throw new Unreadable("bytes after the last chunk");
                }
                return header;
            }
        }
    }
}
