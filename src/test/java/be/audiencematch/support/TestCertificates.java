package be.audiencematch.support;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * A CA and a server certificate signed by it, made at test time (never committed): for a TLS redis-server on
 * 127.0.0.1 whose name the client checks. PEM files in {@code dir}: {@code ca.pem}, {@code server.pem},
 * {@code server.key}.
 */
public record TestCertificates(Path ca, Path serverCertificate, Path serverKey) {

    public static TestCertificates create(Path dir) throws IOException {
        try {
            KeyPair caKeys = ecKeys();
            X500Name caName = new X500Name("CN=audience-match test CA");
            Instant now = Instant.now();
            var caBuilder = new JcaX509v3CertificateBuilder(caName, BigInteger.ONE, Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(Duration.ofDays(1))), caName, caKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509CertificateHolder caCert = caBuilder.build(signer(caKeys));

            KeyPair serverKeys = ecKeys();
            var serverBuilder = new JcaX509v3CertificateBuilder(caName, BigInteger.TWO,
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))),
                    new X500Name("CN=localhost"), serverKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                            new GeneralName(GeneralName.dNSName, "localhost")}));
            X509CertificateHolder serverCert = serverBuilder.build(signer(caKeys));

            TestCertificates files = new TestCertificates(dir.resolve("ca.pem"), dir.resolve("server.pem"),
                    dir.resolve("server.key"));
            Files.writeString(files.ca(), pem(caCert), StandardCharsets.US_ASCII);
            Files.writeString(files.serverCertificate(), pem(serverCert), StandardCharsets.US_ASCII);
            // PKCS#8, which every OpenSSL reads; made at test time, never committed.
            Files.writeString(files.serverKey(),
                    pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(serverKeys.getPrivate(), null)),
                    StandardCharsets.US_ASCII);
            return files;
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IOException("cannot make the test certificates", e);
        }
    }

    private static KeyPair ecKeys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static org.bouncycastle.operator.ContentSigner signer(KeyPair keys)
            throws org.bouncycastle.operator.OperatorCreationException {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate());
    }

    private static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }
}
