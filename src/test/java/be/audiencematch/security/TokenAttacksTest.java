package be.audiencematch.security;

import be.audiencematch.cli.LocalKeys;
import be.audiencematch.support.TestEnvironment;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static be.audiencematch.support.Fixtures.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One forged or unfit token per case, each refused with 401 (or 403 for a valid token of another role), never a 500.
 * Every case starts from claims that the service accepts (the control), so a refusal is the check under test.
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class TokenAttacksTest {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Map<String, Object> claims() {
        return LocalKeys.claims("advertiser", "acme", Duration.ofMinutes(30), LocalKeys.AUDIENCE);
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    private static String signed(Map<String, Object> claims) throws Exception {
        return TestEnvironment.keys().sign(claims);
    }

    private static Response call(String token) {
        return RestAssured.given().header("Authorization", "Bearer " + token).get("/v1/audiences");
    }

    private static void refused(String token) {
        assertProblem(call(token), 401, "bearer token");
    }

    @Test
    void theControlTokenIsAccepted() throws Exception {
        assertEquals(200, call(signed(claims())).statusCode());
    }

    @Test
    void anUnsignedTokenIsRefused() throws Exception {
        String unsigned = B64.encodeToString(JSON.writeValueAsBytes(Map.of("alg", "none", "typ", "JWT"))) + "."
                + B64.encodeToString(JSON.writeValueAsBytes(claims())) + ".";
        refused(unsigned);
    }

    /** The classic confusion: the RSA public key, which anyone may hold, used as an HMAC secret. */
    @Test
    void anHmacTokenKeyedWithThePublicKeyIsRefused() throws Exception {
        String input = B64.encodeToString(JSON.writeValueAsBytes(Map.of("alg", "HS256", "typ", "JWT"))) + "."
                + B64.encodeToString(JSON.writeValueAsBytes(claims()));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Files.readAllBytes(TestEnvironment.keys().publicKey()), "HmacSHA256"));
        refused(input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void aTokenFromAnotherIssuerIsRefused() throws Exception {
        Map<String, Object> claims = claims();
        claims.put("iss", "someone-else");
        refused(signed(claims));
    }

    @Test
    void aTokenForAnotherAudienceOrNoneIsRefused() throws Exception {
        refused(TestEnvironment.keys().token("advertiser", "acme", Duration.ofMinutes(30), "another-service"));
        Map<String, Object> claims = claims();
        claims.remove("aud");
        refused(signed(claims));
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        Map<String, Object> claims = claims();
        claims.put("iat", now() - 600);
        claims.put("exp", now() - 120);
        refused(signed(claims));
    }

    @Test
    void aTokenNotYetValidIsRefused() throws Exception {
        Map<String, Object> claims = claims();
        claims.put("nbf", now() - 5);
        assertEquals(200, call(signed(claims)).statusCode(), "an nbf in the past is fine");
        claims.put("nbf", now() + 600);
        refused(signed(claims));
    }

    @Test
    void aTokenOlderThanTheMaximumAgeOrWithoutIssueTimeIsRefused() throws Exception {
        Map<String, Object> claims = claims();
        claims.put("iat", now() - Duration.ofHours(23).toSeconds());
        claims.put("exp", now() + 3600);
        assertEquals(200, call(signed(claims)).statusCode(), "younger than the 24 h maximum age");
        claims.put("iat", now() - Duration.ofHours(25).toSeconds());
        refused(signed(claims));
        claims.remove("iat");
        refused(signed(claims));
    }

    @Test
    void aTokenWhoseGroupsWereEditedAfterSigningIsRefused() throws Exception {
        Map<String, Object> claims = claims();
        claims.put("groups", List.of("subscriber-feed"));
        String[] parts = signed(claims).split("\\.");
        claims.put("groups", List.of("advertiser"));
        refused(parts[0] + "." + B64.encodeToString(JSON.writeValueAsBytes(claims)) + "." + parts[2]);
    }

    @Test
    void aValidTokenForAnotherRoleIsForbidden() throws Exception {
        Map<String, Object> claims = claims();
        claims.put("groups", List.of("adserver"));
        assertProblem(call(signed(claims)), 403, "role");
    }
}
