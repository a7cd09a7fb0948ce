package be.audiencematch.identity;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * An uploaded row's class, against a plain reading of the rule: blank when only white space, valid when 64 hex
 * digits (the digest they spell), never plain text when valid; nothing is ever thrown. Corpus in
 * HashedRowsFuzzTestInputs; JAZZER_FUZZ=1 fuzzes.
 */
class HashedRowsFuzzTest {

    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{64}");

    @FuzzTest
    void rowIsClassifiedByTheRule(byte[] row) {
        byte[] digest = new byte[HashedIdentifier.DIGEST_BYTES];
        RowKind kind = HashedRows.classify(row, 0, row.length, digest);
        // ISO-8859-1 maps every byte to one character, so the oracle sees exactly the bytes.
        String trimmed = new String(row, StandardCharsets.ISO_8859_1).replaceAll("^[ \t\r\n]+|[ \t\r\n]+$", "");
        if (trimmed.isEmpty()) {
            assertEquals(RowKind.BLANK, kind);
        } else if (HEX.matcher(trimmed).matches()) {
            assertEquals(RowKind.VALID, kind);
            assertArrayEquals(HexFormat.of().parseHex(trimmed), digest);
        } else {
            assertNotEquals(RowKind.VALID, kind);
            assertNotEquals(RowKind.BLANK, kind);
        }
        if (row.length > 2) {
            // A slice is classified alone: the bytes around it never count.
            byte[] framed = new byte[row.length + 2];
            framed[0] = 'x';
            framed[framed.length - 1] = 'y';
            System.arraycopy(row, 0, framed, 1, row.length);
            assertEquals(kind, HashedRows.classify(framed, 1, framed.length - 1, new byte[HashedIdentifier.DIGEST_BYTES]));
        }
        String text = new String(row, StandardCharsets.UTF_8);
        if (Arrays.equals(text.getBytes(StandardCharsets.UTF_8), row)) {
            assertEquals(kind == RowKind.VALID && row.length == 64, HashedRows.isDigestHex(text));
        }
    }
}
