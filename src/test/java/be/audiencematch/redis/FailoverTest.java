package be.audiencematch.redis;

import be.audiencematch.cli.SyntheticBase;
import be.audiencematch.support.FailoverEnvironment;
import be.audiencematch.support.RedisServer;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import static be.audiencematch.support.Fixtures.as;
import static be.audiencematch.support.Fixtures.createAudience;
import static be.audiencematch.support.Fixtures.emails;
import static be.audiencematch.support.Fixtures.feed;
import static be.audiencematch.support.Fixtures.loadSubscribers;
import static be.audiencematch.support.Fixtures.matched;
import static be.audiencematch.support.Fixtures.range;
import static be.audiencematch.support.Fixtures.upload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20's kill test: consent withdrawals in a loop while the Redis Cluster primary that holds the base dies
 * ({@code kill -9}); its replica takes over. Every withdrawal the service acknowledged must survive, and the service
 * must answer again on its own, without a restart, within 10 s of the kill (docs/operations.md, "Faults").
 */
@QuarkusTest
@WithTestResource(FailoverEnvironment.class)
class FailoverTest {

    private static final int WITHDRAWALS = 150;
    private static final int CONTROL = 40;

    @Test
    void noAcknowledgedWithdrawalIsLostWhenThePrimaryDies() throws Exception {
        int from = range(WITHDRAWALS + CONTROL);
        loadSubscribers(from, WITHDRAWALS + CONTROL, i -> true, i -> false, i -> false);
        RedisServer primary = FailoverEnvironment.owner();

        List<Integer> acknowledged = new ArrayList<>();
        Instant killedAt = null;
        Instant answeredAgainAt = null;
        int refused = 0;
        Instant deadline = Instant.now().plusSeconds(90);
        for (int i = from; i < from + WITHDRAWALS; ) {
            if (killedAt == null && i == from + WITHDRAWALS / 3) {
                primary.kill();
                killedAt = Instant.now();
            }
            int status = feed().contentType(ContentType.JSON).body("{\"tv\":false}")
                    .patch("/v1/subscribers/" + SyntheticBase.subscriberId(i) + "/consents").statusCode();
            if (status == 204) {
                acknowledged.add(i);
                if (killedAt != null && answeredAgainAt == null) {
                    answeredAgainAt = Instant.now();
                }
                i++;
            } else {
                assertEquals(503, status, "while the primary is replaced, a write is refused (503), never half done");
                refused++;
                assertTrue(Instant.now().isBefore(deadline), "the service did not find the promoted replica");
                LockSupport.parkNanos(50_000_000L);   // pacing the retries, not synchronisation
            }
        }
        assertTrue(refused > 0, "the kill was felt (otherwise this test proves nothing)");
        Duration outage = Duration.between(killedAt, answeredAgainAt);
        System.out.printf("failover: answered again %d ms after the kill, %d writes refused meanwhile%n",
                outage.toMillis(), refused);
        assertTrue(outage.compareTo(Duration.ofSeconds(10)) <= 0, "answered again only after " + outage);
        assertEquals(WITHDRAWALS, acknowledged.size());

        // An audience of exactly the acknowledged withdrawals reports 0 (exact counts); the control group, which
        // kept its consent, is counted whole, so 0 is not a failure in disguise.
        String withdrawn = createAudience("failover-adv", "tv");
        upload("failover-adv", withdrawn, acknowledged.stream().map(SyntheticBase::emailHash)
                .collect(Collectors.joining("\n", "", "\n"))).then().statusCode(200);
        assertEquals(0, matched("failover-adv", withdrawn), "an acknowledged withdrawal was lost");
        String control = createAudience("failover-adv", "tv");
        upload("failover-adv", control, emails(from + WITHDRAWALS, CONTROL)).then().statusCode(200);
        assertEquals(CONTROL, matched("failover-adv", control));
        // The data-protection officer's view says the same of each one.
        for (int i : acknowledged) {
            as("dpo", "privacy-office").get("/v1/dpo/subscribers/" + SyntheticBase.subscriberId(i))
                    .then().statusCode(200).body("consents.tv.granted", org.hamcrest.Matchers.equalTo(false));
        }
    }
}
