package be.audiencematch.cli;

import be.audiencematch.crypto.SecretFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.security.Signature;
import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The local token signing key pair, made on first use in an ignored folder ({@code .local/jwt}) and never
 * committed. A service started from the same checkout verifies with {@code public.pem}.
 */
public final class LocalKeys {

    public static final String ISSUER = "audience-match-local";
    /** The audience the service expects by default ({@code mp.jwt.verify.audiences}, env AUDIENCE_MATCH_JWT_AUDIENCE). */
    public static final String AUDIENCE = "audience-match";

    private final Path dir;

    public LocalKeys(Path dir) {
        this.dir = dir;
    }

    public Path publicKey() {
        return dir.resolve("public.pem");
    }

    public Path privateKey() {
        return dir.resolve("private.pem");
    }

    /** Creates the pair when either half is missing. */
    public LocalKeys ensure() throws IOException {
        if (Files.exists(publicKey()) && Files.exists(privateKey())) {
            return this;
        }
        Files.createDirectories(dir);
        KeyPair pair;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            pair = generator.generateKeyPair();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path priv = privateKey();
        SecretFiles.write(priv, pem("PRIVATE KEY", pair.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII));
        Files.writeString(publicKey(), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
        return this;
    }

    /** An RS256-signed token with the role in {@code groups}; the service verifies it with {@code public.pem}. */
    public String token(String role, String subject, Duration ttl) throws IOException {
        return token(role, subject, ttl, AUDIENCE);
    }

    /** The same for a given audience ({@code aud}), which must match the service's {@code mp.jwt.verify.audiences}. */
    public String token(String role, String subject, Duration ttl, String audience) throws IOException {
        return sign(claims(role, subject, ttl, audience));
    }

    /** The claims {@link #token} signs, for callers (tests) that change some before signing with {@link #sign}. */
    public static Map<String, Object> claims(String role, String subject, Duration ttl, String audience) {
        long now = java.time.Instant.now().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("aud", audience);
        claims.put("sub", subject);
        claims.put("groups", List.of(role));
        claims.put("iat", now);
        claims.put("exp", now + ttl.toSeconds());
        claims.put("jti", UUID.randomUUID().toString());
        return claims;
    }

    /** Signs any claims with the local private key (RS256). */
    public String sign(Map<String, Object> claims) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString(json.writeValueAsBytes(Map.of("alg", "RS256", "typ", "JWT")))
                + "." + b64.encodeToString(json.writeValueAsBytes(claims));
        try {
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(readPrivateKey());
            signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + b64.encodeToString(signer.sign());
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot sign a token", e);
        }
    }

    PrivateKey readPrivateKey() throws IOException {
        SecretFiles.warnIfReadableByOthers(privateKey());
        String pem = Files.readString(privateKey()).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("unreadable private key at " + privateKey(), e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
