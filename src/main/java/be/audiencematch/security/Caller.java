package be.audiencematch.security;

import io.quarkus.security.ForbiddenException;
import jakarta.enterprise.context.RequestScoped;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Who is calling, as the verified bearer token says. */
@RequestScoped
public class Caller {

    private final JsonWebToken token;

    public Caller(JsonWebToken token) {
        this.token = token;
    }

    /** The token's subject; a token without one is refused, as an unknown caller (fail closed). */
    public String subject() {
        String subject = token.getSubject();
        if (subject == null || subject.isBlank() || subject.length() > 200) {
            throw new ForbiddenException();
        }
        return subject;
    }
}
