package be.audiencematch.audit;

import be.audiencematch.redis.RedisConnections;
import io.lettuce.core.XAddArgs;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** The append-only audit stream (docs/privacy.md, "Audit trail"). Never an identifier, hash, pseudonym or token. */
@ApplicationScoped
public class AuditLog {

    private final RedisConnections redis;
    private final byte[] key;

    public AuditLog(RedisConnections redis,
                    @ConfigProperty(name = "audience-match.redis.key-prefix", defaultValue = "am:") String prefix) {
        this.redis = redis;
        this.key = (prefix + "audit").getBytes(StandardCharsets.UTF_8);
    }

    /** Appends one entry of {@code kind}; fails only when Redis does. */
    public Uni<Void> record(String kind, Map<String, String> fields) {
        Map<byte[], byte[]> body = new LinkedHashMap<>();
        body.put(bytes("kind"), bytes(kind));
        body.put(bytes("at"), bytes(Instant.now().toString()));
        fields.forEach((k, v) -> body.put(bytes(k), bytes(v)));
        return redis.withShared(r -> r.xadd(key, new XAddArgs(), body)).replaceWithVoid();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
