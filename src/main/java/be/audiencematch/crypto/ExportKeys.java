package be.audiencematch.crypto;

import be.audiencematch.kernel.AudienceMatchConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The keys of the Ads & Data export, read once at start: the pseudonym key ring
 * ({@code AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE}) and the partner's X25519 public key
 * ({@code AUDIENCE_MATCH_ADSDATA_PUBLIC_KEY_FILE}). In dev and test missing files are generated in {@code .local/keys};
 * in production a missing one stops the start with a message that says which.
 */
@ApplicationScoped
public class ExportKeys {

    private static final Logger LOG = Logger.getLogger(ExportKeys.class);

    private final Optional<String> ringFile;
    private final Optional<String> partnerKeyFile;
    private final boolean generateMissing;
    private final Path devDir;
    private volatile PseudonymKeyRing ring;
    private volatile byte[] partnerPublicKey;

    /** Key-age thresholds: only the start checks them, not the unit tests' instances. */
    private final KeyAge keyAge;

    @Inject
    public ExportKeys(AudienceMatchConfig config) {
        this(config.pseudonym().keysFile(), config.adsdata().publicKeyFile(), config.keys().generateMissing(),
                config.keys().devDir(), new KeyAge(config.pseudonym().keyWarnAge(), config.pseudonym().keyMaxAge()));
    }

    public ExportKeys(Optional<String> ringFile, Optional<String> partnerKeyFile, boolean generateMissing,
                      String devDir) {
        this(ringFile, partnerKeyFile, generateMissing, devDir, new KeyAge(KeyAge.DEFAULT_WARN, KeyAge.DEFAULT_REFUSE));
    }

    private ExportKeys(Optional<String> ringFile, Optional<String> partnerKeyFile, boolean generateMissing,
                       String devDir, KeyAge keyAge) {
        this.keyAge = keyAge;
        this.ringFile = ringFile.filter(s -> !s.isBlank());
        this.partnerKeyFile = partnerKeyFile.filter(s -> !s.isBlank());
        this.generateMissing = generateMissing;
        this.devDir = Path.of(devDir);
    }

    void onStart(@Observes StartupEvent event) throws IOException {
        load();
        checkAge(keyAge, Instant.now(),
                ConfigUtils.getProfiles().contains(LaunchMode.NORMAL.getDefaultProfile()));
    }

    /**
     * Warns when the current pseudonym key is old or of unknown age; refuses the start when it is too old and
     * {@code enforce} (the prod profile): pseudonyms must not stay linkable longer than the policy allows.
     */
    void checkAge(KeyAge policy, Instant now, boolean enforce) {
        KeyAge.Decision decision = policy.judge(ring, now);
        switch (decision.verdict()) {
            case FRESH -> LOG.debug(decision.message());
            case UNKNOWN, WARN -> LOG.warn(decision.message());
            case REFUSE -> {
                if (enforce) {
                    throw new IllegalStateException(decision.message() + "; refusing to start.");
                }
                LOG.warn(decision.message() + " (the prod profile refuses to start)");
            }
        }
    }

    /** Reads the key files again (after a rotation); exports started earlier finish with the keys they had. */
    public synchronized void load() throws IOException {
        Path ringPath = ringFile.map(Path::of).orElse(devDir.resolve("pseudonym-keys.json"));
        Path partnerPath = partnerKeyFile.map(Path::of).orElse(devDir.resolve("adsdata-public.key"));
        if (!Files.exists(ringPath) || !Files.exists(partnerPath)) {
            if (!generateMissing) {
                throw new IllegalStateException(missing(ringPath, partnerPath));
            }
            KeyFiles.ensureDevKeys(ringPath, partnerPath);
            LOG.infof("generated development export keys in %s (never use them in production)", devDir);
        }
        SecretFiles.warnIfReadableByOthers(ringPath);
        this.ring = PseudonymKeyRing.read(ringPath);
        this.partnerPublicKey = KeyFiles.readKey(partnerPath);
        LOG.infof("Ads & Data export: pseudonym key version %s current", ring.current());
    }

    private String missing(Path ringPath, Path partnerPath) {
        StringBuilder message = new StringBuilder("Ads & Data export keys are missing:");
        if (!Files.exists(ringPath)) {
            message.append(" no pseudonym key ring at ").append(ringPath)
                    .append(" (set AUDIENCE_MATCH_PSEUDONYM_KEYS_FILE to the mounted Secret);");
        }
        if (!Files.exists(partnerPath)) {
            message.append(" no Ads & Data public key at ").append(partnerPath)
                    .append(" (set AUDIENCE_MATCH_ADSDATA_PUBLIC_KEY_FILE);");
        }
        return message.append(" refusing to start.").toString();
    }

    public PseudonymKeyRing ring() {
        return ring;
    }

    public byte[] partnerPublicKey() {
        return partnerPublicKey;
    }

    /** Reads and writes the small key files the launcher, the service and the partner share. */
    public static final class KeyFiles {
        private KeyFiles() {
        }

        /** A 32-byte key as one line of standard base64. */
        public static byte[] readKey(Path file) throws IOException {
            byte[] key = Base64.getDecoder().decode(Files.readString(file).strip());
            if (key.length != 32) {
                throw new IOException("the key in " + file + " is not 32 bytes");
            }
            return key;
        }

        /** A private key ({@code secret}) is created 0600 (SecretFiles); a public one is for others to read. */
        public static void writeKey(Path file, byte[] key, boolean secret) throws IOException {
            byte[] line = (Base64.getEncoder().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII);
            if (secret) {
                SecretFiles.write(file, line);
            } else {
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.write(file, line);
            }
        }

        /** A private key, with a warning when others may read its file. */
        public static byte[] readSecretKey(Path file) throws IOException {
            SecretFiles.warnIfReadableByOthers(file);
            return readKey(file);
        }

        /** Dev only: a key ring and an Ads & Data key pair (the private half beside it, for the decryptor). */
        public static void ensureDevKeys(Path ringPath, Path partnerPublic) throws IOException {
            if (!Files.exists(ringPath)) {
                PseudonymKeyRing.generate().write(ringPath);
            }
            if (!Files.exists(partnerPublic)) {
                byte[][] pair = AdsDataCipher.generateKeyPair();
                writeKey(partnerPublic.resolveSibling("adsdata-private.key"), pair[0], true);
                writeKey(partnerPublic, pair[1], false);
            }
        }
    }
}
