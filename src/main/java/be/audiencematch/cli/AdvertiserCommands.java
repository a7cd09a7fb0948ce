package be.audiencematch.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** Thin commands over the advertisers' API: each prints the service's JSON on stdout, a refusal's detail on stderr. */
final class AdvertiserCommands {

    private AdvertiserCommands() {
    }

    /** Runs one request; a refusal or an unreachable service is one line on stderr and exit 1. */
    static int print(String command, ApiOptions api, String method, String path) throws InterruptedException {
        try {
            var answer = api.client().expect(method, path, null);
            if (!answer.isNull()) {
                System.out.println(AdvertiserClient.JSON.writeValueAsString(answer));
            }
            return 0;
        } catch (AdvertiserClient.Refused e) {
            System.err.println(command + ": " + e.getMessage());
            return 1;
        } catch (IOException e) {
            System.err.println(command + ": the service at " + api.baseUrl + " cannot be reached");
            return 1;
        }
    }

    static String path(String id) {
        return "/v1/audiences/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
    }

    @Command(name = "audiences", mixinStandardHelpOptions = true, description = "List your audiences (JSON).")
    static final class Audiences implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Override
        public Integer call() throws Exception {
            return print("audiences", api, "GET", "/v1/audiences");
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "An audience's aggregate report (JSON), optionally refined by segments of its channel.")
    static final class Report implements Callable<Integer> {
        @Mixin
        ApiOptions api;
        @Parameters(paramLabel = "ID", description = "the audience id (aud_...)")
        String id;
        @Option(names = "--segments", paramLabel = "a,b", description = "comma-separated segment ids")
        String segments;

        @Override
        public Integer call() throws Exception {
            String query = segments == null ? "" : "?segments=" + URLEncoder.encode(segments, StandardCharsets.UTF_8);
            return print("report", api, "GET", path(id) + query);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete an audience and everything derived from it.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        ApiOptions api;
        @Parameters(paramLabel = "ID", description = "the audience id (aud_...)")
        String id;

        @Override
        public Integer call() throws Exception {
            int code = print("delete", api, "DELETE", path(id));
            if (code == 0) {
                System.err.println("deleted " + id);
            }
            return code;
        }
    }
}
