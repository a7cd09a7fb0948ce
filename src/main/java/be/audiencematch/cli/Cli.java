package be.audiencematch.cli;

import be.audiencematch.crypto.AdsDataCipher;
import be.audiencematch.crypto.ExportKeys;
import be.audiencematch.crypto.PseudonymKeyRing;
import be.audiencematch.export.Envelope;
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
                ExportKeys.KeyFiles.ensureDevKeys(exportKeysDir().resolve("pseudonym-keys.json"),
                        exportKeysDir().resolve("adsdata-public.key"));
                yield 0;
            }
            case "keys" -> keys(rest);
            case "decrypt" -> decrypt(rest);
            case "demo-seed" -> Demo.run(rest);
            case "bench" -> Bench.run(rest);
            case "bench-export" -> ExportBench.run(rest);
            case "bench-bulk" -> BulkBench.run(rest);
            case "seed-load" -> LoadSeed.run(rest);
            case "bench-eligibility" -> EligibilityBench.run(rest);
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

    static Path exportKeysDir() {
        String home = System.getenv().getOrDefault("AUDIENCE_MATCH_HOME", ".");
        return Path.of(home, ".local", "keys");
    }

    /** keys adsdata --out DIR | keys rotate-pseudonym [--file F] | keys pseudonym --out FILE */
    private static int keys(List<String> args) throws Exception {
        String what = args.isEmpty() ? "" : args.remove(0);
        switch (what) {
            case "adsdata" -> {
                Path out = Path.of(option(args, "--out", "."));
                byte[][] pair = AdsDataCipher.generateKeyPair();
                ExportKeys.KeyFiles.writeKey(out.resolve("adsdata-private.key"), pair[0], true);
                ExportKeys.KeyFiles.writeKey(out.resolve("adsdata-public.key"), pair[1], false);
                System.out.println("wrote " + out.resolve("adsdata-private.key") + " (keep it with Ads & Data) and "
                        + out.resolve("adsdata-public.key") + " (AUDIENCE_MATCH_ADSDATA_PUBLIC_KEY_FILE)");
                return 0;
            }
            case "pseudonym" -> {
                Path out = Path.of(option(args, "--out", exportKeysDir().resolve("pseudonym-keys.json").toString()));
                if (java.nio.file.Files.exists(out)) {
                    System.err.println("keys: " + out + " exists; use 'keys rotate-pseudonym' to add a version");
                    return 1;
                }
                PseudonymKeyRing.generate().write(out);
                System.out.println("wrote " + out + " with version v1 (AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE)");
                return 0;
            }
            case "rotate-pseudonym" -> {
                String env = System.getenv("AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE");
                Path file = Path.of(option(args, "--file", env != null && !env.isBlank() ? env
                        : exportKeysDir().resolve("pseudonym-keys.json").toString()));
                PseudonymKeyRing rotated = PseudonymKeyRing.read(file).rotated();
                rotated.write(file);
                System.out.println("pseudonym key version " + rotated.current() + " is now current in " + file
                        + "; restart the service to use it. The next export of every segment is a full snapshot.");
                return 0;
            }
            default -> {
                System.err.println("usage: keys adsdata --out DIR | keys pseudonym [--out FILE] | keys rotate-pseudonym [--file FILE]");
                return 2;
            }
        }
    }

    /** The partner's reference decryptor: an export on stdin, its chunks as JSON lines on stdout. */
    private static int decrypt(List<String> args) throws Exception {
        String keyFile = option(args, "--private-key", null);
        if (keyFile == null) {
            System.err.println("decrypt: --private-key FILE is required (adsdata-private.key)");
            return 2;
        }
        byte[] privateKey = ExportKeys.KeyFiles.readSecretKey(Path.of(keyFile));
        java.io.PrintStream out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out),
                false, StandardCharsets.UTF_8);
        try {
            Envelope.read(new java.io.BufferedInputStream(System.in), privateKey, chunk -> out.write(chunk, 0, chunk.length));
        } catch (Envelope.Unreadable e) {
            out.flush();
            System.err.println("decrypt: " + e.getMessage());
            return 1;
        }
        out.flush();
        return 0;
    }

    private static int token(List<String> args) throws Exception {
        String role = option(args, "--role", null);
        String subject = option(args, "--sub", null);
        long ttl = Long.parseLong(option(args, "--ttl", "3600"));
        // The audience a service started with the same environment expects (mp.jwt.verify.audiences).
        String audience = option(args, "--aud", System.getenv().getOrDefault("AUDIENCE_MATCH_JWT_AUDIENCE",
                LocalKeys.AUDIENCE));
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
        System.out.println(keys.token(role, subject == null ? role + "-local" : subject, Duration.ofSeconds(ttl),
                audience));
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
                usage: audience-match token --role ROLE [--sub ID] [--ttl SECONDS] [--aud AUDIENCE]
                       audience-match hash --type email|phone [--country BE] VALUE...   (or values on stdin)
                       audience-match keys adsdata --out DIR | keys pseudonym [--out FILE] | keys rotate-pseudonym [--file FILE]
                       audience-match decrypt --private-key FILE   (an export on stdin)
                       audience-match ensure-keys""");
    }
}
