package be.audiencematch.cli;

import be.audiencematch.identity.IdentifierNormalizer;
import be.audiencematch.identity.IdentifierType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * A deterministic, made-up subscriber base for the demo, the benchmark and the tests: subscriber i has e-mail
 * {@code user{i}@example.be}, a Belgian mobile number, household {@code hh-(i/2)} and pseudo-random consents
 * (TV 90 %, web 60 %, Ads & Data 40 %). Nobody real is in it.
 */
public final class SyntheticBase {

    private static final IdentifierNormalizer NORMALIZER = new IdentifierNormalizer();

    private SyntheticBase() {
    }

    public static String subscriberId(int i) {
        return "sub-" + i;
    }

    public static String email(int i) {
        return "user" + i + "@example.be";
    }

    public static String phone(int i) {
        return String.format("+3247%07d", i % 10_000_000);
    }

    public static String emailHash(int i) {
        return NORMALIZER.hashHex(IdentifierType.EMAIL_SHA256, email(i));
    }

    public static String phoneHash(int i) {
        return NORMALIZER.hashHex(IdentifierType.PHONE_SHA256, phone(i));
    }

    static int mix(long x) {
        x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
        x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return (int) ((x ^ (x >>> 33)) & 0x7fffffff);
    }

    public static boolean tv(int i) {
        return mix(i) % 100 < 90;
    }

    public static boolean web(int i) {
        return mix(i + 0x1000_0000L) % 100 < 60;
    }

    public static boolean adsAndData(int i) {
        return mix(i + 0x2000_0000L) % 100 < 40;
    }

    /** Segment s (0-based) holds between 10 % and 50 % of the base. */
    public static boolean inSegment(int s, int i) {
        int percent = 10 + (s * 40 / 49) % 41;
        return mix(((long) s << 32) ^ i) % 100 < percent;
    }

    public static String ndjsonLine(int i) {
        return "{\"subscriber_id\":\"" + subscriberId(i) + "\",\"identifiers\":[{\"type\":\"email_sha256\",\"value\":\""
                + emailHash(i) + "\"},{\"type\":\"phone_sha256\",\"value\":\"" + phoneHash(i) + "\"}],"
                + "\"household_id\":\"hh-" + (i / 2) + "\",\"consents\":{\"tv\":" + tv(i) + ",\"web\":" + web(i)
                + ",\"ads_and_data\":" + adsAndData(i) + "}}\n";
    }

    /** A body made line by line as it is read, so a million-line upload needs no memory of its own. */
    public static InputStream lines(int count, IntFunction<String> line) {
        return new InputStream() {
            private int next;
            private byte[] current = new byte[0];
            private int pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int written = 0;
                while (written < len) {
                    if (pos == current.length) {
                        if (next == count) {
                            return written == 0 ? -1 : written;
                        }
                        current = line.apply(next++).getBytes(StandardCharsets.UTF_8);
                        pos = 0;
                    }
                    int n = Math.min(len - written, current.length - pos);
                    System.arraycopy(current, pos, b, off + written, n);
                    pos += n;
                    written += n;
                }
                return written;
            }
        };
    }
}
