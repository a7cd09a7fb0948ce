package be.audiencematch.changes;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.Inspector;
import be.audiencematch.support.ReplicatedEnvironment;
import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

import java.nio.charset.StandardCharsets;

import static be.audiencematch.support.Fixtures.assertProblem;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.ndjson;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.subscriberJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A write is acknowledged only once a real replica holds it (Redis WAIT; docs/architecture.md, "Durable
 * acknowledgement"): with the replica frozen, a withdrawal is stored on the primary but answered 503 with
 * Retry-After after the wait's timeout (1 s here); sent again with the replica back, it answers 204 and the replica
 * holds it. {@link ReplicaAcknowledgementOffTest} shows the same withdrawal acknowledged at once without the wait.
 */
@QuarkusTest
@DisabledIfSystemProperty(named = TestEnvironment.TOPOLOGY, matches = "cluster",
        disabledReason = "needs a standalone primary with a real replica (WAIT)")
@WithTestResource(ReplicatedEnvironment.class)
class ReplicaAcknowledgementTest {

    static final String TV = "consent:tv";

    static long create(int i) {
        String id = SyntheticBase.subscriberId(i);
        int status = feed().contentType(ContentType.JSON).body(subscriberJson(i, true, true, true, false))
                .put("/v1/subscribers/" + id).statusCode();
        assertTrue(status == 200 || status == 201, "created: " + status);
        try (Inspector primary = new Inspector(ReplicatedEnvironment.primary().url())) {
            return primary.numberOf(i);
        }
    }

    static Response withdrawTv(int i) {
        return feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                .patch("/v1/subscribers/" + SyntheticBase.subscriberId(i) + "/consents");
    }

    @Test
    void aWithdrawalIsAcknowledgedOnlyOnceTheReplicaHoldsIt() throws Exception {
        int i = range(1);
        long number = create(i);
        try (Inspector primary = new Inspector(ReplicatedEnvironment.primary().url());
             Inspector replica = new Inspector(ReplicatedEnvironment.replica().url())) {
            assertEquals(1, replica.bit(TV, number), "the creation was acknowledged once the replica held it");

            ReplicatedEnvironment.replica().suspend();
            Response refused;
            long millis;
            try {
                long started = System.nanoTime();
                refused = withdrawTv(i);
                millis = (System.nanoTime() - started) / 1_000_000;
            } finally {
                ReplicatedEnvironment.replica().resume();
            }
            assertProblem(refused, 503, "replicas");
            assertNotNull(refused.header("Retry-After"));
            assertTrue(millis >= 900, "answered only after the wait's timeout: " + millis + " ms");
            assertEquals(0, primary.bit(TV, number), "the refused acknowledgement left the write stored");

            // Sent again once the replica runs: harmless, and acknowledged once the replica holds it.
            long deadline = System.nanoTime() + 20_000_000_000L;
            int status = 0;
            while (status != 204 && System.nanoTime() < deadline) {
                status = withdrawTv(i).statusCode();
                assertTrue(status == 204 || status == 503, "while the replica catches up: " + status);
            }
            assertEquals(204, status);
            assertEquals(0, replica.bit(TV, number), "acknowledged, so the replica holds the withdrawal");
        }
    }

    /** A bulk load writes on a connection of its own; its answer still waits until the replica holds all of it. */
    @Test
    void aBulkLoadIsAcknowledgedOnlyOnceTheReplicaHoldsIt() throws Exception {
        int from = range(2_500);
        byte[] body = ndjson(from, 2_500, n -> true, n -> false, n -> true).getBytes(StandardCharsets.UTF_8);
        ReplicatedEnvironment.replica().suspend();
        Response refused;
        try {
            refused = feed().contentType("application/x-ndjson").body(body).post("/v1/subscribers/bulk");
        } finally {
            ReplicatedEnvironment.replica().resume();
        }
        assertProblem(refused, 503, "replicas");
        assertNotNull(refused.header("Retry-After"));

        long deadline = System.nanoTime() + 20_000_000_000L;
        int status = 0;
        while (status != 200 && System.nanoTime() < deadline) {
            status = feed().contentType("application/x-ndjson").body(body).post("/v1/subscribers/bulk").statusCode();
            assertTrue(status == 200 || status == 503, "while the replica catches up: " + status);
        }
        assertEquals(200, status);
        try (Inspector primary = new Inspector(ReplicatedEnvironment.primary().url());
             Inspector replica = new Inspector(ReplicatedEnvironment.replica().url())) {
            for (int i = from; i < from + 2_500; i += 499) {
                long number = primary.numberOf(i);
                assertTrue(number >= 0);
                assertEquals(number, replica.numberOf(i), "the replica holds the loaded record");
                assertEquals(1, replica.bit(TV, number), "and its consent");
            }
        }
    }

    @Test
    void aWriteWhileTheReplicaRunsIsAcknowledgedPromptly() {
        int i = range(1);
        create(i);
        long started = System.nanoTime();
        withdrawTv(i).then().statusCode(204);
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis < 900, "a healthy replica confirms well within the timeout: " + millis + " ms");
    }
}
