package be.audiencematch.kernel;

import be.audiencematch.support.TestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;

import static be.audiencematch.support.Fixtures.token;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service as production runs it (docs/operations.md): health, metrics and OpenAPI on the management port only,
 * and a client that stalls in the middle of a body is disconnected (a short idle timeout here, 60 s in production).
 */
@QuarkusTest
@TestProfile(ManagementPortTest.ProductionHttp.class)
@WithTestResource(TestEnvironment.class)
class ManagementPortTest {

    public static class ProductionHttp implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.management.enabled", "true",
                    "quarkus.management.test-port", Integer.toString(freePort()),
                    "quarkus.http.idle-timeout", "2s",
                    "quarkus.http.read-timeout", "2s");
        }
    }

    private static int managementPort() {
        return ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
    }

    @Test
    void healthMetricsAndOpenApiAreServedOnTheManagementPortOnly() {
        for (String path : new String[] {"/q/metrics", "/q/health/ready", "/q/health/live", "/q/openapi"}) {
            RestAssured.given().get(path).then().statusCode(404);
            RestAssured.given().port(managementPort()).get(path).then().statusCode(200);
        }
        // What the shipped alerts read besides the service's own metrics (k8s/base/service/alerts.yaml).
        RestAssured.given().port(managementPort()).get("/q/metrics").then()
                .body(containsString("jvm_memory_max_bytes{area=\"heap\""))
                .body(containsString("audience_match_eligibility_view_bitmap_bytes"));
        RestAssured.given().port(managementPort()).get("/q/openapi").then().body(containsString("/v1/eligibility"));
        // The API itself stays on the API port.
        RestAssured.given().header("Authorization", "Bearer " + token("adserver", "pickx"))
                .get("/v1/ping").then().statusCode(200);
    }

    @Test
    void productionTurnsTheManagementInterfaceOnAndLeavesTheSwaggerUiOut() throws IOException {
        Properties config = new Properties();
        try (InputStream in = ManagementPortTest.class.getResourceAsStream("/application.properties")) {
            config.load(in);
        }
        assertEquals("true", config.getProperty("%prod.quarkus.management.enabled"));
        assertEquals("${QUARKUS_MANAGEMENT_PORT:9000}", config.getProperty("quarkus.management.port"));
        assertFalse("true".equals(config.getProperty("quarkus.swagger-ui.always-include")),
                "the Swagger UI is not part of a production build");
        assertEquals("60s", config.getProperty("quarkus.http.idle-timeout"));
    }

    @Test
    void aClientThatStallsInTheMiddleOfAStreamedBodyIsDisconnected() throws IOException {
        String line = "{\"subscriber_id\":\"stall-1\",\"identifiers\":[";
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", RestAssured.port), 2_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/subscribers/bulk HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + token("subscriber-feed", "feed") + "\r\n"
                    + "Content-Type: application/x-ndjson\r\nContent-Length: 100000\r\n\r\n" + line)
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // Then nothing more: the service must close the connection by itself.
            socket.setSoTimeout(200);
            InputStream in = socket.getInputStream();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
            boolean closed = false;
            while (!closed) {
                assertTrue(Instant.now().isBefore(deadline), "the stalled connection is still open");
                try {
                    closed = in.read() < 0;
                } catch (SocketTimeoutException stillOpen) {
                    // poll again until the deadline
                } catch (IOException reset) {
                    closed = true;
                }
            }
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
