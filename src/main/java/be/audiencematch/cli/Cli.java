package be.audiencematch.cli;

import be.audiencematch.identity.IdentifierNormalizer;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.security.Roles;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java side of {@code bin/audience-match}: subcommands that need no running service (token, hash, keys) and
 * the clients that drive one (demo-seed, bench). Run without the Quarkus runtime, on the packaged class path.
 */
public final class Cli {

    private Cli() {
    }

    public static void main(String[] args) throws Exception {
        // Lettuce logs through Netty; JDK logging keeps SLF4J's start-up warnings out of the output.
        io.netty.util.internal.logging.InternalLoggerFactory.setDefaultFactory(
                io.netty.util.internal.logging.JdkLoggerFactory.INSTANCE);
        if (args.length == 0) {
            usage();
            System.exit(2);
        }
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        int code = switch (args[0]) {
            case "token" -> token(rest);
            case "hash" -> hash(rest);
            case "ensure-keys" -> {
                new LocalKeys(keysDir()).ensure();
                yield 0;
            }
            case "demo-seed" -> Demo.run(rest);
            case "bench" -> Bench.run(rest);
            default -> {
                usage();
                yield 2;
            }
        };
        System.exit(code);
    }

    static Path keysDir() {
        String home = System.getenv().getOrDefault("AUDIENCE_MATCH_HOME", ".");
        return Path.of(home, ".local", "jwt");
    }

    private static int token(List<String> args) throws Exception {
        String role = option(args, "--role", null);
        String subject = option(args, "--sub", null);
        long ttl = Long.parseLong(option(args, "--ttl", "3600"));
        if (role == null) {
            System.err.println("token: --role is required, one of " + String.join(", ", Roles.ALL));
            return 2;
        }
        if (!Roles.ALL.contains(role)) {
            System.err.println("token: unknown role; use one of " + String.join(", ", Roles.ALL));
            return 2;
        }
        if (ttl < 1 || ttl > 30L * 24 * 3600) {
            System.err.println("token: --ttl must be between 1 and 2592000 seconds");
            return 2;
        }
        LocalKeys keys = new LocalKeys(keysDir()).ensure();
        System.out.println(keys.token(role, subject == null ? role + "-local" : subject, Duration.ofSeconds(ttl)));
        return 0;
    }

    private static int hash(List<String> args) throws Exception {
        String type = option(args, "--type", null);
        String country = option(args, "--country", IdentifierNormalizer.DEFAULT_REGION);
        if (!"email".equals(type) && !"phone".equals(type)) {
            System.err.println("hash: --type email|phone is required");
            return 2;
        }
        IdentifierType identifierType = "email".equals(type) ? IdentifierType.EMAIL_SHA256 : IdentifierType.PHONE_SHA256;
        IdentifierNormalizer normalizer = new IdentifierNormalizer(country);
        List<String> values = new ArrayList<>(args);
        if (values.isEmpty()) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (!line.isBlank()) {
                        values.add(line);
                    }
                }
            }
        }
        int failed = 0;
        for (int i = 0; i < values.size(); i++) {
            try {
                System.out.println(normalizer.hashHex(identifierType, values.get(i)));
            } catch (IllegalArgumentException e) {
                // Say which input failed by position, never by value.
                System.err.println("hash: value " + (i + 1) + " is not a valid " + type);
                failed++;
            }
        }
        return failed == 0 ? 0 : 1;
    }

    /** Removes {@code name value} from args and returns the value. */
    static String option(List<String> args, String name, String fallback) {
        int at = args.indexOf(name);
        if (at < 0) {
            return fallback;
        }
        if (at + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        String value = args.get(at + 1);
        args.remove(at + 1);
        args.remove(at);
        return value;
    }

    private static void usage() {
        System.err.println("""
                usage: audience-match token --role ROLE [--sub ID] [--ttl SECONDS]
                       audience-match hash --type email|phone [--country BE] VALUE...   (or values on stdin)
                       audience-match ensure-keys""");
    }
}
