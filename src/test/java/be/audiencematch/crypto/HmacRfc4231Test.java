package be.audiencematch.crypto;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** HMAC-SHA256 against RFC 4231, section 4 (test case 5, a truncated MAC, does not apply). */
class HmacRfc4231Test {

    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "RFC 4231 test case {0}")
    @CsvSource({
        "1, 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b, 4869205468657265, "
            + "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "2, 4a656665, 7768617420646f2079612077616e7420666f72206e6f7468696e673f, "
            + "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "3, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, "
            + "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd, "
            + "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        "4, 0102030405060708090a0b0c0d0e0f10111213141516171819, "
            + "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd, "
            + "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    })
    void matchesTheRfc(int testCase, String key, String data, String mac) {
        assertEquals(mac, HEX.formatHex(Pseudonymizer.hmacSha256(HEX.parseHex(key), HEX.parseHex(data))));
    }

    @ParameterizedTest(name = "RFC 4231 test case {0}")
    @CsvSource({
        "6, Test Using Larger Than Block-Size Key - Hash Key First, "
            + "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        "7, This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
            + "hashed before being used by the HMAC algorithm., "
            + "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    })
    void matchesTheRfcWithALongKey(int testCase, String data, String mac) {
        byte[] key = new byte[131];
        java.util.Arrays.fill(key, (byte) 0xaa);
        assertEquals(mac, HEX.formatHex(Pseudonymizer.hmacSha256(key, data.getBytes(StandardCharsets.US_ASCII))));
    }

    @org.junit.jupiter.api.Test
    void aPseudonymIsTheBase64urlHmacOfTheNumber() {
        byte[] key = HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        String expected = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(Pseudonymizer.hmacSha256(key, new byte[] {0, 0, 0x30, 0x39}));
        Pseudonymizer pseudonyms = new Pseudonymizer(key);
        assertEquals(expected, pseudonyms.pseudonym(12345));
        assertEquals(expected, pseudonyms.pseudonym(12345), "the instance resets between pseudonyms");
        assertEquals(Pseudonymizer.PSEUDONYM_CHARS, expected.length());
    }
}
