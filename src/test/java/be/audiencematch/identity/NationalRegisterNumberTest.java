package be.audiencematch.identity;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NationalRegisterNumberTest {

    /** Born 30 July 1985 (check 28), and born 3 February 2001 (check 45 by the rule for 2000 and later). */
    @ParameterizedTest
    @ValueSource(strings = {"85073003328", "85.07.30-033.28", "850730-033-28", "85 07 30 033 28",
        "01020312345", "01.02.03-123.45", "01020312316"})
    void recognisesBothCenturiesWrittenPlainOrDotted(String id) {
        assertTrue(NationalRegisterNumber.looksLikeOne(id));
        byte[] padded = ("x" + id + "y").getBytes(StandardCharsets.US_ASCII);
        assertTrue(NationalRegisterNumber.looksLikeOne(padded, 1, padded.length - 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"85073003329", "85.07.30-033.29", "01020312346", "8507300332", "850730033280",
        "s-85073003328", "85073003328a", "85:07:30:033:28", "", "hh-42", "sub-000001"})
    void leavesOtherIdsAlone(String id) {
        assertFalse(NationalRegisterNumber.looksLikeOne(id));
    }
}
