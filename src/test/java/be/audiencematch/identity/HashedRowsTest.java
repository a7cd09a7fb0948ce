package be.audiencematch.identity;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class HashedRowsTest {

    private final byte[] digest = new byte[32];

    @Test
    void sixtyFourHexCharactersInEitherCaseAreValid() {
        String hex = "973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B";
        assertEquals(RowKind.VALID, HashedRows.classify("  " + hex + "\r", digest));
        assertArrayEquals(HexFormat.of().parseHex(hex.toLowerCase()), digest);
        assertEquals(RowKind.VALID, HashedRows.classify(hex.toLowerCase(), digest));
    }

    @ParameterizedTest
    @ValueSource(strings = {"jan@example.be", " Jan.Peeters@Example.BE ", "+32 475 12 34 56", "0475/12.34.56",
        "0032475123456", "(02) 123 45 67"})
    void clearTextIdentifiersAreFlagged(String row) {
        assertEquals(RowKind.PLAINTEXT, HashedRows.classify(row, digest));
    }

    @ParameterizedTest
    @ValueSource(strings = {"not-a-hash", "973dfe463ec85785f5f95af5ba3906ee", "12345",
        "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813g",
        "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b0"})
    void otherRowsAreInvalid(String row) {
        assertEquals(RowKind.INVALID, HashedRows.classify(row, digest));
    }

    @Test
    void blankRowsAreBlank() {
        assertEquals(RowKind.BLANK, HashedRows.classify("  \r", digest));
    }
}
