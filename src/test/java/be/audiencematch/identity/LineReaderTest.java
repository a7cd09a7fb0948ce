package be.audiencematch.identity;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LineReaderTest {

    private static List<String> lines(String body, long limit) throws IOException {
        LineReader reader = new LineReader(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), limit);
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
        List<String> out = lines("a\n" + longLine + "\nb\n", 1_000_000);
        assertEquals(3, out.size());
        assertEquals("3:b", out.get(2));
    }

    @Test
    void aBodyOverTheLimitIsRefusedWhileStreaming() {
        assertThrows(LineReader.TooLargeException.class, () -> lines("0123456789\n".repeat(100), 500));
    }
}
