package be.audiencematch.advertiser;

import be.audiencematch.support.NodeScript;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page's normaliser (libphonenumber-js, WebCrypto) gives every case of the table that
 * {@code identity.NormalisationCasesTest} checks the Java normaliser against: the browser hashes what
 * {@code bin/audience-match hash} hashes.
 */
class PageNormaliserTest {

    @Test
    void thePageNormalisesEveryCaseOfTheSharedTableAsTheServerDoes() throws Exception {
        NodeScript.assumeNode();
        String output = NodeScript.run("src/test/browser/normalise.test.mjs", Map.of(), 60);
        assertTrue(output.contains("agrees with the shared table"), output);
    }
}
