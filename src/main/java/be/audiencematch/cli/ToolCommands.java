package be.audiencematch.cli;

import be.audiencematch.crypto.AdsDataCipher;
import be.audiencematch.crypto.ExportKeys;
import be.audiencematch.crypto.PseudonymKeyRing;
import be.audiencematch.export.Envelope;
import be.audiencematch.identity.IdentifierNormalizer;
import be.audiencematch.identity.IdentifierType;
import be.audiencematch.security.Roles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** The commands that need no running service: tokens, digests, keys and the partner's reference decryptor. */
final class ToolCommands {

    private ToolCommands() {
    }

    @Command(name = "token", mixinStandardHelpOptions = true,
            description = "Print a bearer token that a service from this checkout accepts.")
    static final class Token implements Callable<Integer> {
        @Option(names = "--role", paramLabel = "ROLE", description = "one of: ${COMPLETION-CANDIDATES}",
                completionCandidates = RoleNames.class)
        String role;
        @Option(names = "--sub", paramLabel = "ID", description = "the subject (default: ROLE-local)")
        String subject;
        @Option(names = "--ttl", paramLabel = "SECONDS", defaultValue = "3600",
                description = "lifetime, 1 to 2592000 (default: ${DEFAULT-VALUE})")
        long ttl;
        @Option(names = "--aud", paramLabel = "AUDIENCE",
                description = "the token's audience (default: AUDIENCE_MATCH_JWT_AUDIENCE, else audience-match: what a "
                        + "service started with the same environment expects)")
        String audience;

        @Override
        public Integer call() throws Exception {
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
            LocalKeys keys = new LocalKeys(Cli.keysDir()).ensure();
            String aud = audience != null ? audience
                    : System.getenv().getOrDefault("AUDIENCE_MATCH_JWT_AUDIENCE", LocalKeys.AUDIENCE);
            System.out.println(keys.token(role, subject == null ? role + "-local" : subject, Duration.ofSeconds(ttl),
                    aud));
            return 0;
        }
    }

    static final class RoleNames extends ArrayList<String> {
        RoleNames() {
            super(Roles.ALL);
        }
    }

    @Command(name = "hash", mixinStandardHelpOptions = true,
            description = "Print normalised SHA-256 hex digests (docs/identifiers.md), one per value; values from "
                    + "stdin, one a line, when none are given.")
    static final class Hash implements Callable<Integer> {
        @Option(names = "--type", paramLabel = "email|phone", description = "what the values are")
        String type;
        @Option(names = "--country", paramLabel = "CC", defaultValue = IdentifierNormalizer.DEFAULT_REGION,
                description = "region of national phone numbers (default: ${DEFAULT-VALUE})")
        String country;
        @Parameters(paramLabel = "VALUE", arity = "0..*", description = "e-mail addresses or phone numbers")
        List<String> values = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (!"email".equals(type) && !"phone".equals(type)) {
                System.err.println("hash: --type email|phone is required");
                return 2;
            }
            IdentifierType identifierType = "email".equals(type) ? IdentifierType.EMAIL_SHA256 : IdentifierType.PHONE_SHA256;
            IdentifierNormalizer normalizer = new IdentifierNormalizer(country);
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
    }

    @Command(name = "keys", mixinStandardHelpOptions = true, description = "Write or rotate key material.",
            subcommands = {Keys.AdsData.class, Keys.Pseudonym.class, Keys.RotatePseudonym.class})
    static final class Keys implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "say which: adsdata, pseudonym or rotate-pseudonym");
        }

        @Command(name = "adsdata", mixinStandardHelpOptions = true,
                description = "Write an Ads & Data key pair (adsdata-private.key, adsdata-public.key).")
        static final class AdsData implements Callable<Integer> {
            @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "where (default: .)")
            Path out;

            @Override
            public Integer call() throws Exception {
                byte[][] pair = AdsDataCipher.generateKeyPair();
                ExportKeys.KeyFiles.writeKey(out.resolve("adsdata-private.key"), pair[0], true);
                ExportKeys.KeyFiles.writeKey(out.resolve("adsdata-public.key"), pair[1], false);
                System.out.println("wrote " + out.resolve("adsdata-private.key") + " (keep it with Ads & Data) and "
                        + out.resolve("adsdata-public.key") + " (AUDIENCE_MATCH_ADSDATA_PUBLIC_KEY_FILE)");
                return 0;
            }
        }

        @Command(name = "pseudonym", mixinStandardHelpOptions = true, description = "Write a new pseudonym key ring.")
        static final class Pseudonym implements Callable<Integer> {
            @Option(names = "--out", paramLabel = "FILE", description = "default: .local/keys/pseudonym-keys.json")
            Path out;

            @Override
            public Integer call() throws Exception {
                Path file = out != null ? out : Cli.exportKeysDir().resolve("pseudonym-keys.json");
                if (Files.exists(file)) {
                    System.err.println("keys: " + file + " exists; use 'keys rotate-pseudonym' to add a version");
                    return 1;
                }
                PseudonymKeyRing.generate().write(file);
                System.out.println("wrote " + file + " with version v1 (AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE)");
                return 0;
            }
        }

        @Command(name = "rotate-pseudonym", mixinStandardHelpOptions = true,
                description = "Add a pseudonym key version and make it current (then restart the service).")
        static final class RotatePseudonym implements Callable<Integer> {
            @Option(names = "--file", paramLabel = "FILE",
                    description = "default: AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE or .local/keys/pseudonym-keys.json")
            Path file;

            @Override
            public Integer call() throws Exception {
                String env = System.getenv("AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE");
                Path ring = file != null ? file : env != null && !env.isBlank() ? Path.of(env)
                        : Cli.exportKeysDir().resolve("pseudonym-keys.json");
                PseudonymKeyRing rotated = PseudonymKeyRing.read(ring).rotated();
                rotated.write(ring);
                System.out.println("pseudonym key version " + rotated.current() + " is now current in " + ring
                        + "; restart the service to use it. The next export of every segment is a full snapshot.");
                return 0;
            }
        }
    }

    @Command(name = "decrypt", mixinStandardHelpOptions = true,
            description = "The partner's reference decryptor: an export on stdin, its chunks as JSON lines on stdout.")
    static final class Decrypt implements Callable<Integer> {
        @Option(names = "--private-key", paramLabel = "FILE", description = "adsdata-private.key")
        Path keyFile;

        @Override
        public Integer call() throws Exception {
            if (keyFile == null) {
                System.err.println("decrypt: --private-key FILE is required (adsdata-private.key)");
                return 2;
            }
            byte[] privateKey = ExportKeys.KeyFiles.readSecretKey(keyFile);
            java.io.PrintStream out = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out),
                    false, StandardCharsets.UTF_8);
            try {
                Envelope.read(new java.io.BufferedInputStream(System.in), privateKey,
                        chunk -> out.write(chunk, 0, chunk.length));
            } catch (Envelope.Unreadable e) {
                out.flush();
                System.err.println("decrypt: " + e.getMessage());
                return 1;
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "ensure-keys", mixinStandardHelpOptions = true,
            description = "Make the local development keys under .local/ when missing.")
    static final class EnsureKeys implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            Cli.ensureKeys();
            return 0;
        }
    }
}
