package be.audiencematch.advertiser;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.identity.IdentifierNormalizer;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.support.NodeScript;
import be.audiencematch.support.TestEnvironment;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static be.audiencematch.support.Fixtures.advertiser;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.token;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The advertisers' page in a real headless Chromium against the service and Redis: the report of a list hashed in
 * the browser equals the report of the same list hashed in Java as {@code bin/audience-match hash} does, and no
 * request ever carried a clear value (src/test/browser/advertiser-page.test.mjs; docs/advertiser-page.md).
 */
@QuarkusTest
@WithTestResource(TestEnvironment.class)
class AdvertiserPageTest {

    private static final int ROWS = 10_000;
    private static final int SUBSCRIBERS = 9_000;
    private static final int ROWS_PER_CHUNK = 5_000;

    @Test
    void thePageIsServedWithoutATokenWhileTheApiStaysProtected() {
        Response page = RestAssured.given().get("/advertiser/");
        page.then().statusCode(200).contentType(ContentType.HTML);
        assertTrue(page.asString().contains("Bearer token"));
        String policy = page.header("Content-Security-Policy");
        assertTrue(policy != null && policy.contains("default-src 'self'"), "no inline or foreign script may run");
        assertEquals("no-referrer", page.header("Referrer-Policy"));
        String script = RestAssured.given().get("/advertiser/app.js").then().statusCode(200).extract().asString();
        assertFalse(script.contains("localStorage"), "the token is kept in session storage at most");
        RestAssured.given().get("/v1/audiences").then().statusCode(401);
    }

    @Test
    void aListHashedInTheBrowserGetsTheReportOfTheSameListHashedInJava() throws Exception {
        NodeScript.assumeChromium();
        int from = range(ROWS);
        // Rows past SUBSCRIBERS are strangers: valid digests that match nobody.
        loadSubscribers(from, SUBSCRIBERS, SyntheticBase::tv, SyntheticBase::web, SyntheticBase::adsAndData);
        String segment = "page-segment-" + from;
        putSegment(segment, "tv", emails(from, SUBSCRIBERS / 3));
        Path work = Files.createTempDirectory("am-page-");
        Path csv = work.resolve("spring customers.csv");
        Files.writeString(csv, csv(from), StandardCharsets.UTF_8);
        Path result = work.resolve("result.json");
        try {
            runThePage(from, segment, csv, result);
        } finally {
            Files.deleteIfExists(csv);
            Files.deleteIfExists(result);
            Files.deleteIfExists(work);
        }
    }

    private void runThePage(int from, String segment, Path csv, Path result) throws Exception {
        String output = NodeScript.run("src/test/browser/advertiser-page.test.mjs", Map.of(
                "BASE_URL", "http://localhost:" + RestAssured.port,
                "ADVERTISER_TOKEN", token("advertiser", "page-advertiser"),
                "CSV_FILE", csv.toString(),
                "RESULT_FILE", result.toString(),
                "SEGMENT_ID", segment,
                "SCREENSHOT_DIR", Path.of("target", "advertiser-page").toAbsolutePath().toString(),
                "CHROMIUM", NodeScript.CHROMIUM.toString()), 600);
        JsonNode page = new ObjectMapper().readTree(result.toFile());

        List<String> emails = hashed(from, IdentifierType.EMAIL_SHA256);
        List<String> phones = hashed(from, IdentifierType.PHONE_SHA256);
        assertTrue(emails.size() > 9_000 && phones.size() > 9_000, "most rows are hashable");
        assertSameReport(page.get("email"), emails, "email_sha256", output);
        assertSameReport(page.get("phone"), phones, "phone_sha256", output);
        Integer inSegment = advertiser("page-advertiser").queryParam("segments", segment)
                .get("/v1/audiences/" + page.get("email").get("id").asText()).then().statusCode(200)
                .extract().path("matched");
        assertTrue(inSegment != null && inSegment < page.get("email").get("matched").asInt(), "the segment refines");
        assertEquals(inSegment, page.get("emailInSegment").get("matched").asInt(), "the page asks with the segment");

        // Two chunks per audience, each under its own Idempotency-Key; the chunk that met a network failure went
        // again under the same key.
        int chunks = chunks(emails.size()) + chunks(phones.size());
        assertEquals(chunks, page.get("distinctKeys").asInt(), output);
        assertEquals(chunks + 1, page.get("uploadRequests").asInt(), output);
        assertEquals(ROWS_PER_CHUNK, page.get("cancelled").get("received").asInt(), "cancel stops after the chunk");

        assertTrue(page.get("refusedTokenSignsOut").asBoolean(), "a refused token is forgotten at once");
        assertTrue(page.get("budgetShown").asBoolean(), "a privacy budget is shown where the service keeps one");
        assertTrue(page.get("spentBudgetShown").asBoolean(), "a spent budget's problem detail is shown");
        assertEquals(0, page.get("leaks").asInt());
        assertTrue(page.get("requests").asInt() > chunks, output);
        assertEquals(0, page.get("axeViolations").size(), () -> "WCAG A/AA violations: " + page.get("axeViolations"));
        assertTrue(page.get("keyboardReachesUpload").asBoolean(), "the upload button is reachable by Tab");
        assertTrue(page.get("phoneOverflow").asInt() <= 0, "the page fits a 375 px wide screen");
    }

    /** The page's numbers equal the API's report for the same list hashed here (same question, same answer). */
    private static void assertSameReport(JsonNode fromPage, List<String> digests, String type, String output) {
        String id = advertiser("api-advertiser").contentType(ContentType.JSON)
                .body("{\"name\":\"same list\",\"identifier_type\":\"" + type + "\",\"channel\":\"tv\"}")
                .post("/v1/audiences").then().statusCode(201).extract().path("id");
        upload("api-advertiser", id, String.join("\n", digests) + "\n").then().statusCode(200);
        Response api = advertiser("api-advertiser").get("/v1/audiences/" + id);
        api.then().statusCode(200);
        assertEquals(digests.size(), fromPage.get("received").asInt(), () -> type + ": " + output);
        assertEquals((Integer) api.path("received"), fromPage.get("received").asInt(), type);
        assertEquals((Integer) api.path("valid"), fromPage.get("valid").asInt(), type);
        assertEquals(0, fromPage.get("plaintext_rejected").asInt(), type + ": the page sends digests only");
        Integer matched = api.path("matched");
        assertTrue(matched != null && matched > 7_000, type + ": the list matches most subscribers");
        assertEquals(matched, fromPage.get("matched").asInt(), type);
    }

    private static int chunks(int digests) {
        return (digests + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK;
    }

    /** Row i's clear e-mail and phone as a customer file holds them: mixed case, spaces, national formats. */
    private static String[] row(int from, int i) {
        int n = from + i;
        if (i % 250 == 7) {
            return new String[] {"not known", "n/a"};
        }
        if (i % 333 == 5) {
            return new String[] {"", ""};
        }
        String email = SyntheticBase.email(n);
        email = switch (i % 4) {
            case 0 -> " " + Character.toUpperCase(email.charAt(0)) + email.substring(1).replace("example", "Example") + " ";
            case 1 -> email.toUpperCase(java.util.Locale.ROOT);
            case 2 -> "\t" + email;
            default -> email.replace("@example.be", "@EXAMPLE.be") + "  ";
        };
        String national = "0" + SyntheticBase.phone(n).substring(3); // +3247xxxxxxx → 047xxxxxxx
        String phone = switch (i % 5) {
            case 0 -> national.substring(0, 4) + " " + national.substring(4, 6) + " " + national.substring(6, 8) + " "
                    + national.substring(8);
            case 1 -> national.substring(0, 4) + "/" + national.substring(4, 6) + "." + national.substring(6, 8) + "."
                    + national.substring(8);
            case 2 -> "+32 " + national.substring(1, 4) + " " + national.substring(4);
            case 3 -> "0032" + national.substring(1);
            default -> " " + national + " ";
        };
        return new String[] {email, phone};
    }

    private static String csv(int from) {
        StringBuilder csv = new StringBuilder("customer,E-mail,Mobile\n");
        for (int i = 0; i < ROWS; i++) {
            String[] row = row(from, i);
            csv.append('C').append(i).append(',').append(row[0]).append(',').append(row[1]).append('\n');
        }
        return csv.toString();
    }

    /** What {@code bin/audience-match hash} makes of the file's column: normalised, SHA-256, unhashable rows left out. */
    private static List<String> hashed(int from, IdentifierType type) {
        IdentifierNormalizer normalizer = new IdentifierNormalizer("BE");
        List<String> digests = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            String value = row(from, i)[type == IdentifierType.EMAIL_SHA256 ? 0 : 1];
            try {
                digests.add(normalizer.hashHex(type, value));
            } catch (IllegalArgumentException notAnIdentifier) {
                // the page leaves such a row out too, and says how many
            }
        }
        return digests;
    }
}
