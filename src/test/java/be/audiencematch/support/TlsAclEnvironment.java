package be.audiencematch.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * TestEnvironment, but the service reaches its Redis over TLS only ({@code rediss://}, the test CA configured) as the
 * ACL user of docs/operations.md, whose line is read from {@code redis/acl-user.txt}, the one the docs quote. An admin
 * user lets the test look at what the service user may not (the ACL log, CONFIG); the default user is off.
 */
public class TlsAclEnvironment extends TestEnvironment {

    public static final String SERVICE_USER = "audience-match";
    public static final String ADMIN_USER = "test-admin";
    private static RedisServer tlsRedis;
    private static String servicePassword;
    private static String adminPassword;

    @Override
    public synchronized Map<String, String> start() {
        standaloneOnly("TlsAclEnvironment");
        Map<String, String> config = super.start();
        try {
            if (tlsRedis == null) {
                servicePassword = randomPassword();
                adminPassword = randomPassword();
                String acl = "user default off\n"
                        + "user " + ADMIN_USER + " on >" + adminPassword + " ~* &* +@all\n"
                        + serviceAclLine().replace(">PASSWORD", ">" + servicePassword) + "\n";
                tlsRedis = RedisServer.withTlsAndAcl(acl).start().closeAtExit();
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the TLS Redis", e);
        }
        config.put("audience-match.redis.url", tlsRedis.url(SERVICE_USER, servicePassword));
        config.put("audience-match.redis.ca-file", tlsRedis.caFile().toString());
        // As in production: a plain URL would be refused.
        config.put("audience-match.redis.allow-plaintext", "false");
        return config;
    }

    /** The ACL line of docs/operations.md, with {@code >PASSWORD} for the password. */
    public static String serviceAclLine() throws IOException {
        try (InputStream in = TlsAclEnvironment.class.getResourceAsStream("/redis/acl-user.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    public static RedisServer tlsRedis() {
        return tlsRedis;
    }

    public static String servicePassword() {
        return servicePassword;
    }

    public static String adminPassword() {
        return adminPassword;
    }
}
