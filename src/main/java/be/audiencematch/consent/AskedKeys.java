package be.audiencematch.consent;

import be.audiencematch.kernel.ProblemException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A subscriber script's answer "call me again with these keys too" ({@code { 'keys', name, ... }}: subscriber_lib.lua,
 * ask_for_undeclared), for the scripts that declare only the keys they are given (docs/architecture.md, "Scripts"):
 * the names to call again with, or a 503 once the subscribers kept changing for as many calls as a write may take.
 */
final class AskedKeys {

    /** Calls of one write before it gives up. */
    static final int ATTEMPTS = 4;

    private AskedKeys() {
    }

    /**
     * {@code names} and those the script asked for, for call {@code attempt + 1}.
     *
     * @throws ProblemException 503 after the last attempt, {@code what} saying what kept changing
     */
    static List<String> again(List<String> names, List<Object> reply, int attempt, String what) {
        if (attempt >= ATTEMPTS) {
            throw new ProblemException(503, "Service Unavailable", what + "; send it again");
        }
        List<String> more = new ArrayList<>(names);
        reply.subList(1, reply.size()).forEach(n -> more.add(new String((byte[]) n, StandardCharsets.UTF_8)));
        return more;
    }
}
