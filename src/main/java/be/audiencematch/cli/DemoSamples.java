package be.audiencematch.cli;

import be.audiencematch.identity.IdentifierNormalizer;
import be.audiencematch.identity.IdentifierType;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

/**
 * The input files the README's examples name, left by the demo in {@code .local/samples/} (ignored by git): all
 * made from the synthetic base, so nobody real is in them.
 */
final class DemoSamples {

    private static final int FEED_LINES = 1_000;

    private DemoSamples() {
    }

    static Path dir() {
        return Path.of(System.getenv().getOrDefault("AUDIENCE_MATCH_HOME", "."), ".local", "samples");
    }

    /** customers.csv (clear text, for the upload CLI), customers.txt.gz, football-fans.txt, subscribers.ndjson. */
    static Path write(int subscribers, int known, int unknown) throws IOException {
        Path dir = Files.createDirectories(dir());
        IdentifierNormalizer normalizer = new IdentifierNormalizer();
        try (Writer csv = Files.newBufferedWriter(dir.resolve("customers.csv"), StandardCharsets.UTF_8)) {
            csv.write("customer,email,city\n");
            for (int i = 0; i < known + unknown; i++) {
                String email = i < known ? SyntheticBase.email(i) : stranger(i);
                // As exported by a CRM: some addresses in capitals or padded; the CLI normalises them.
                csv.write(i + "," + (i % 3 == 0 ? " " + email.toUpperCase(Locale.ROOT) + " " : email) + ",Gent\n");
            }
            csv.write("x,not an address,Gent\ny,,Gent\n");
        }
        try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(dir.resolve("customers.txt.gz")))) {
            for (int i = 0; i < known + unknown; i++) {
                String digest = i < known ? SyntheticBase.emailHash(i)
                        : normalizer.hashHex(IdentifierType.EMAIL_SHA256, stranger(i));
                gz.write((digest + "\n").getBytes(StandardCharsets.US_ASCII));
            }
        }
        try (Writer fans = Files.newBufferedWriter(dir.resolve("football-fans.txt"), StandardCharsets.US_ASCII)) {
            for (int i = 0; i < subscribers; i++) {
                if (SyntheticBase.inSegment(20, i)) {
                    fans.write(SyntheticBase.emailHash(i) + "\n");
                }
            }
        }
        try (Writer feed = Files.newBufferedWriter(dir.resolve("subscribers.ndjson"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < Math.min(FEED_LINES, subscribers); i++) {
                feed.write(SyntheticBase.ndjsonLine(i));
            }
        }
        return dir;
    }

    static String stranger(int i) {
        return "stranger" + i + "@example.org";
    }
}
