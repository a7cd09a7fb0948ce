package be.audiencematch.export;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.crypto.ExportKeys;
import be.audiencematch.crypto.PseudonymKeyRing;
import be.audiencematch.crypto.Pseudonymizer;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.TestEnvironment;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.putSegment;
import static be.audiencematch.support.Fixtures.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestResource(TestEnvironment.class)
class AdsDataExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ExportKeys keys;

    /** One decrypted export: its header and the pseudonyms its chunks add and remove. */
    record Decrypted(Envelope.Header header, List<String> added, List<String> removed, int chunks) {
    }

    private static Response export(String segment, String since) {
        var request = as("adsdata", "ads-and-data");
        if (since != null) {
            request = request.queryParam("since", since);
        }
        return request.get("/v1/exports/ads-and-data/segments/" + segment);
    }

    private static Decrypted decrypt(byte[] body) throws IOException {
        byte[] privateKey = ExportKeys.KeyFiles.readKey(TestEnvironment.exportKeyDir().resolve("adsdata-private.key"));
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        int[] chunks = {0};
        Envelope.Header header = Envelope.read(new ByteArrayInputStream(body), privateKey, chunk -> {
            try {
                JsonNode line = JSON.readTree(chunk);
                line.get("added").forEach(p -> added.add(p.asText()));
                line.get("removed").forEach(p -> removed.add(p.asText()));
                chunks[0]++;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        return new Decrypted(header, added, removed, chunks[0]);
    }

    private Set<String> pseudonymsOf(List<Integer> indexes) {
        Pseudonymizer pseudonyms = new Pseudonymizer(keys.ring().currentKey());
        try (Inspector redis = new Inspector()) {
            return indexes.stream().map(i -> pseudonyms.pseudonym((int) redis.numberOf(i))).collect(Collectors.toSet());
        }
    }

    @Test
    void aSnapshotHoldsExactlyTheConsentingMembersAndDeltasFollowEveryChange() throws Exception {
        int from = range(30);
        // Ads & Data consent for the even ones only.
        loadSubscribers(from, 30, i -> true, i -> true, i -> (i - from) % 2 == 0);
        String segment = "adsdata-" + from;
        putSegment(segment, "web", emails(from, 30));

        Response first = export(segment, null);
        first.then().statusCode(200).contentType(ExportResource.EXPORT_MEDIA_TYPE);
        Decrypted snapshot = decrypt(first.asByteArray());
        List<Integer> consenting = IntStream.range(from, from + 30).filter(i -> (i - from) % 2 == 0).boxed().toList();
        assertEquals(pseudonymsOf(consenting), new HashSet<>(snapshot.added()));
        assertEquals(15, snapshot.added().size(), "no duplicates, no non-consenting member");
        assertTrue(snapshot.removed().isEmpty());
        assertTrue(snapshot.header().snapshot());
        assertEquals(segment, snapshot.header().segment());
        assertEquals(keys.ring().current(), snapshot.header().keyVersion());
        String cursor = first.header("X-Export-Next-Cursor");
        assertEquals(cursor, snapshot.header().nextCursor());
        assertFalse(first.asString().contains(snapshot.added().get(0)), "pseudonyms travel only encrypted");

        // Changes: one withdraws, one is erased, one gives consent, one leaves the segment.
        int withdraws = from;
        int erased = from + 2;
        int consents = from + 1;
        int leaves = from + 4;
        Set<String> gone = pseudonymsOf(List.of(withdraws, erased, leaves));
        Set<String> arrived = pseudonymsOf(List.of(consents));
        feed().contentType(ContentType.JSON).body("{\"ads_and_data\":false}")
                .patch("/v1/subscribers/" + SyntheticBase.subscriberId(withdraws) + "/consents").then().statusCode(204);
        feed().delete("/v1/subscribers/" + SyntheticBase.subscriberId(erased)).then().statusCode(204);
        feed().contentType(ContentType.JSON).body("{\"ads_and_data\":true}")
                .patch("/v1/subscribers/" + SyntheticBase.subscriberId(consents) + "/consents").then().statusCode(204);
        String withoutLeaver = IntStream.range(from, from + 30).filter(i -> i != leaves)
                .mapToObj(SyntheticBase::emailHash).collect(Collectors.joining("\n")) + "\n";
        putSegment(segment, "web", withoutLeaver);

        Response second = export(segment, cursor);
        second.then().statusCode(200);
        assertEquals("delta", second.header("X-Export-Mode"));
        Decrypted delta = decrypt(second.asByteArray());
        assertEquals(arrived, new HashSet<>(delta.added()));
        assertEquals(gone, new HashSet<>(delta.removed()));
        assertEquals(cursor, delta.header().cursor());
        assertFalse(delta.header().snapshot());

        // Nothing changed since: an empty delta, still a valid, complete envelope.
        Decrypted quiet = decrypt(export(segment, second.header("X-Export-Next-Cursor")).asByteArray());
        assertTrue(quiet.added().isEmpty() && quiet.removed().isEmpty());
        assertEquals(1, quiet.chunks());
    }

    @Test
    void aTamperedByteOrASwappedHeaderFailsDecryption() throws Exception {
        int from = range(4);
        loadSubscribers(from, 4, i -> true, i -> true, i -> true);
        String segment = "tamper-" + from;
        putSegment(segment, "tv", emails(from, 4));
        byte[] body = export(segment, null).asByteArray();
        assertEquals(4, decrypt(body).added().size());

        byte[] flipped = body.clone();
        flipped[flipped.length - 3] ^= 0x01;
        assertThrows(Envelope.Unreadable.class, () -> decrypt(flipped));

        // The same ciphertext presented as another segment: the header is the HPKE info, so it cannot open.
        String text = new String(body, java.nio.charset.StandardCharsets.ISO_8859_1);
        String renamed = text.replace("\"segment\":\"" + segment + "\"", "\"segment\":\"" + segment.replace("tamper", "tampor") + "\"");
        assertFalse(text.equals(renamed));
        assertThrows(Envelope.Unreadable.class, () -> decrypt(renamed.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));

        byte[] truncated = java.util.Arrays.copyOf(body, body.length - 1);
        assertThrows(IOException.class, () -> decrypt(truncated));
    }

    @Test
    void anExpiredOrForeignCursorIsRefused() {
        int from = range(2);
        loadSubscribers(from, 2, i -> true, i -> true, i -> true);
        String segment = "cursor-" + from;
        putSegment(segment, "tv", emails(from, 2));
        String old = String.format("%010d", java.time.Instant.now().minus(java.time.Duration.ofDays(31)).getEpochSecond())
                + ".abcdefghijkmnpqr";
        assertProblem(export(segment, old), 410, "snapshot");
        String unknown = String.format("%010d", java.time.Instant.now().getEpochSecond()) + ".abcdefghijkmnpqr";
        assertProblem(export(segment, unknown), 410, "snapshot");
        assertProblem(export(segment, "not-a-cursor"), 400, "cursor");

        String other = "cursor-other-" + from;
        putSegment(other, "tv", emails(from, 2));
        String cursorOfOther = export(other, null).header("X-Export-Next-Cursor");
        assertProblem(export(segment, cursorOfOther), 400, "another segment");
        assertProblem(export("no-such-segment-" + from, null), 404, null);
    }

    @Test
    void afterAKeyRotationTheNextExportIsASnapshotUnderTheNewVersion() throws Exception {
        int from = range(3);
        loadSubscribers(from, 3, i -> true, i -> true, i -> true);
        String segment = "rotate-" + from;
        putSegment(segment, "tv", emails(from, 3));
        Response first = export(segment, null);
        Decrypted before = decrypt(first.asByteArray());

        Path ringFile = TestEnvironment.exportKeyDir().resolve("pseudonym-keys.json");
        PseudonymKeyRing rotated = PseudonymKeyRing.read(ringFile).rotated();
        rotated.write(ringFile);
        keys.load();
        try {
            Response next = export(segment, first.header("X-Export-Next-Cursor"));
            Decrypted after = decrypt(next.asByteArray());
            assertTrue(after.header().snapshot());
            assertEquals("key_rotated", after.header().reason());
            assertEquals(rotated.current(), after.header().keyVersion());
            assertEquals(rotated.current(), next.header("X-Export-Key-Version"));
            assertEquals(3, after.added().size());
            assertTrue(java.util.Collections.disjoint(before.added(), after.added()), "new key, new pseudonyms");
        } finally {
            keys.load();
        }
    }

    @Test
    void otherRolesCannotExportAndTheAuditHoldsCountsNotPseudonyms() throws Exception {
        int from = range(3);
        loadSubscribers(from, 3, i -> true, i -> true, i -> true);
        String segment = "audit-" + from;
        putSegment(segment, "tv", emails(from, 3));
        for (String role : List.of("advertiser", "subscriber-feed", "adserver", "dpo")) {
            assertProblem(as(role, "x").get("/v1/exports/ads-and-data/segments/" + segment), 403, null);
        }
        assertProblem(as("advertiser", "x").get("/v1/exports/ads-and-data/segments"), 403, null);
        Decrypted exported = decrypt(export(segment, null).asByteArray());

        List<Map<String, String>> audit = as("dpo", "privacy-office").get("/v1/exports/ads-and-data/audit")
                .then().statusCode(200).extract().path("$");
        Map<String, String> latest = audit.stream().filter(e -> segment.equals(e.get("segment"))).findFirst().orElseThrow();
        assertEquals("ads-and-data", latest.get("who"));
        assertEquals("3", latest.get("added"));
        assertEquals("snapshot", latest.get("mode"));
        String all = JSON.writeValueAsString(audit);
        exported.added().forEach(p -> assertFalse(all.contains(p)));
        assertFalse(all.contains(exported.header().nextCursor()), "a cursor lets its holder ask for deltas");
        // The same entry in the audit trail, of kind export.
        String since = java.time.Instant.parse(latest.get("at")).minusSeconds(1).toString();
        List<Map<String, String>> trail = as("dpo", "privacy-office").queryParam("kind", "export")
                .queryParam("from", since).get("/v1/audit").then().statusCode(200).extract().path("entries");
        assertTrue(trail.stream().anyMatch(e -> latest.get("id").equals(e.get("id")) && "export".equals(e.get("kind"))));
        assertProblem(as("adsdata", "x").get("/v1/exports/ads-and-data/audit"), 403, null);

        List<Map<String, Object>> listed = as("adsdata", "x").get("/v1/exports/ads-and-data/segments")
                .then().statusCode(200).extract().path("$");
        Map<String, Object> mine = listed.stream().filter(s -> segment.equals(s.get("id"))).findFirst().orElseThrow();
        assertNull(mine.get("members"), "3 is below the threshold");
        assertEquals(true, mine.get("below_threshold"));
        assertTrue(mine.containsKey("members"), "members is present, and null");
    }
}
