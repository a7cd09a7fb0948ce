package be.audiencematch.identity;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LineReaderTest {

    private static List<String> lines(String body, long limit) throws IOException {
        return lines(new LineReader(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), limit));
    }

    private static List<String> lines(LineReader reader) throws IOException {
        List<String> out = new ArrayList<>();
        while (reader.next()) {
            out.add(reader.lineNumber() + ":" + new String(reader.buffer(), reader.lineStart(),
                    reader.lineEnd() - reader.lineStart(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void numbersEveryLineIncludingBlankOnesAndTheLastWithoutNewline() throws IOException {
        assertEquals(List.of("1:a", "2:", "3:b\r", "4:c"), lines("a\n\nb\r\nc", 100));
    }

    @Test
    void linesLongerThanTheBufferSurviveWhole() throws IOException {
        String longLine = "x".repeat(300_000);
        List<String> out = lines(reader("a\n" + longLine + "\nb\n", 300_000, 10));
        assertEquals(3, out.size());
        assertEquals(300_002, out.get(1).length());
        assertEquals("3:b", out.get(2));
    }

    @Test
    void aLineOverItsLimitIsRefusedWhereverItIs() {
        String line = "y".repeat(101);
        LineReader.TooLargeException e = assertThrows(LineReader.TooLargeException.class,
                () -> lines(reader("a\n" + line + "\nb\n", 100, 10)));
        assertEquals("line 2 is longer than 100 bytes", e.getMessage());
        assertThrows(LineReader.TooLargeException.class, () -> lines(reader("a\n" + line, 100, 10)), "the last line");
        assertThrows(LineReader.TooLargeException.class,
                () -> lines(reader("z".repeat(1_000_000) + "\n", 100, 10)), "a line longer than the buffer");
        assertEquals(2, assertDoesNotThrow(() -> lines(reader("a\n" + "y".repeat(100), 100, 10))).size());
    }

    @Test
    void moreLinesThanTheLimitAreRefused() throws IOException {
        assertEquals(3, lines(reader("a\n\nb\n", 100, 3)).size());
        LineReader.TooLargeException e = assertThrows(LineReader.TooLargeException.class,
                () -> lines(reader("a\n\nb\nc", 100, 3)));
        assertEquals("body has more than 3 lines", e.getMessage());
    }

    private static LineReader reader(String body, int maxLine, long maxLines) {
        return new LineReader(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), 10_000_000,
                maxLine, maxLines);
    }

    @Test
    void aBodyOverTheLimitIsRefusedWhileStreaming() {
        assertThrows(LineReader.TooLargeException.class, () -> lines("0123456789\n".repeat(100), 500));
    }
}
