package be.audiencematch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the service is and who the advertiser is: shared by upload, audiences, report and delete. */
final class ApiOptions {

    static final String TOKEN_ENV = "AUDIENCE_MATCH_TOKEN";

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--base-url", paramLabel = "URL", defaultValue = "${env:AUDIENCE_MATCH_URL:-http://localhost:8080}",
            description = "the service (default: AUDIENCE_MATCH_URL or http://localhost:8080)")
    String baseUrl;

    @Option(names = "--token", paramLabel = "T", description = "an advertiser's bearer token (default: "
            + TOKEN_ENV + ")")
    String token;

    @Option(names = "--token-file", paramLabel = "F", description = "a file holding the token (it stays out of the "
            + "process list and the shell history)")
    Path tokenFile;

    AdvertiserClient client() {
        return new AdvertiserClient(baseUrl, token());
    }

    private String token() {
        if (token != null && tokenFile != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --token or --token-file, not both");
        }
        if (token != null) {
            return token.strip();
        }
        if (tokenFile != null) {
            try {
                return Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--token-file cannot be read");
            }
        }
        String env = System.getenv(TOKEN_ENV);
        if (env == null || env.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "no token: give --token, --token-file or set " + TOKEN_ENV);
        }
        return env.strip();
    }
}
