package be.audiencematch.redis;

import java.nio.charset.StandardCharsets;

/** Key names and script arguments as Redis takes them: UTF-8 bytes (the connections use a byte-array codec). */
public final class Bytes {

    private Bytes() {
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static String str(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
