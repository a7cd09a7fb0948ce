package be.audiencematch.crypto;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Files that hold secrets (the pseudonym key ring, private keys): written readable by their owner only from the very
 * first byte, and checked when read (docs/operations.md, "Key files"). Messages name the file, never its content.
 * Logs through java.util.logging: the command-line tools (bin/audience-match keys, decrypt) run without Quarkus'
 * logging on their class path, and in the service it reaches the same log.
 */
public final class SecretFiles {

    private static final Logger LOG = Logger.getLogger(SecretFiles.class.getName());
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretFiles() {
    }

    /**
     * Writes {@code content} to {@code file}: into a new file beside it, created 0600 (not made so afterwards: no
     * moment when others could open it), then moved over {@code file} at once, so a reader never sees half a key.
     */
    public static void write(Path file, byte[] content) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        byte[] suffix = new byte[6];
        RANDOM.nextBytes(suffix);
        Path temp = parent.resolve("." + file.getFileName() + "." + HexFormat.of().formatHex(suffix) + ".tmp");
        if (posix()) {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
            Files.createFile(temp);
        }
        try {
            Files.write(temp, content);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Whether users other than the owner may read {@code file}; false where files have no POSIX permissions. */
    public static boolean readableByOthers(Path file) throws IOException {
        if (!posix()) {
            return false;
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
        return permissions.contains(PosixFilePermission.GROUP_READ)
                || permissions.contains(PosixFilePermission.OTHERS_READ);
    }

    /** Before reading a secret: a warning when its group or everyone may read it too. */
    public static void warnIfReadableByOthers(Path file) {
        try {
            if (readableByOthers(file)) {
                LOG.warning(String.format("the key file %s can be read by other users (%s); make it readable by its "
                                + "owner only: chmod 600 (docs/operations.md)", file,
                        PosixFilePermissions.toString(Files.getPosixFilePermissions(file))));
            }
        } catch (IOException e) {
            // Reading it fails next, with its own message.
        }
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }
}
