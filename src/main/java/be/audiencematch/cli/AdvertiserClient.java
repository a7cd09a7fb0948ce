package be.audiencematch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;

/** The advertisers' API over java.net.http, for the CLI: answers as status and body, problems by their detail. */
final class AdvertiserClient {

    static final ObjectMapper JSON = new ObjectMapper();

    /** One answer of the service. */
    record Answer(int status, String body, OptionalLong retryAfterSeconds) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The problem's detail (RFC 9457), which names the field at fault; else the status alone. */
        String detail() {
            try {
                JsonNode problem = JSON.readTree(body);
                if (problem != null && problem.hasNonNull("detail")) {
                    return problem.get("detail").asText();
                }
            } catch (IOException e) {
                // Not a problem body: fall through to the status.
            }
            return "the service answered " + status;
        }
    }

    /** The service said no (a 4xx, or a 5xx after the retries): its status and the problem's detail. */
    static final class Refused extends Exception {
        final int status;

        Refused(Answer answer) {
            super(answer.status() + ": " + answer.detail());
            this.status = answer.status();
        }
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private final String token;

    AdvertiserClient(String baseUrl, String token) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
    }

    Answer send(String method, String path, HttpRequest.BodyPublisher body, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofMinutes(10))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
        headers.forEach(request::header);
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        OptionalLong retryAfter = response.headers().firstValue("Retry-After").map(v -> {
            try {
                return OptionalLong.of(Long.parseLong(v.strip()));
            } catch (NumberFormatException e) {
                return OptionalLong.empty();
            }
        }).orElse(OptionalLong.empty());
        return new Answer(response.statusCode(), response.body(), retryAfter);
    }

    /** A request whose answer must be a success: its JSON, else Refused. */
    JsonNode expect(String method, String path, String jsonBody) throws IOException, InterruptedException, Refused {
        Answer answer = send(method, path, jsonBody == null ? null : HttpRequest.BodyPublishers.ofString(jsonBody),
                jsonBody == null ? Map.of() : Map.of("Content-Type", "application/json"));
        if (!answer.ok()) {
            throw new Refused(answer);
        }
        return answer.body().isEmpty() ? JSON.nullNode() : JSON.readTree(answer.body());
    }
}
