package be.audiencematch.privacy;

import io.restassured.http.ContentType;
import io.restassured.response.Response;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static be.audiencematch.support.Fixtures.advertiser;

/**
 * A group of colluding advertisers playing the differencing attacks of docs/privacy.md ("Threat model"): each
 * advertiser has its own budget, and the group moves to the next one when an answer is refused. It keeps, per target,
 * the ε spent on answers whose list held that target, and the guesses, to compare the group's accuracy with what
 * differential privacy allows for that ε.
 */
final class Attacker {

    /** ε of one answer under the shipped default: what an answer costs when the service reports no cost (off). */
    static final double DEFAULT_EPSILON = 0.5;

    private final List<String> colluders = new ArrayList<>();
    private int current;
    private final double[] spentOn;
    private final boolean[] guesses;
    private int refusals;

    Attacker(int colluders, int targets) {
        String run = UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < colluders; i++) {
            this.colluders.add("attacker-" + run + "-" + i);
        }
        this.spentOn = new double[targets];
        this.guesses = new boolean[targets];
    }

    /** A new audience of the current colluder holding {@code digests}. */
    String audience(String digests) {
        String id = advertiser(me()).contentType(ContentType.JSON)
                .body("{\"name\":\"customers\",\"identifier_type\":\"email_sha256\",\"channel\":\"tv\"}")
                .post("/v1/audiences").then().statusCode(201).extract().path("id");
        append(id, digests);
        return id;
    }

    /** Deletes the colluder's audience: the attack keeps under the cap on live audiences. */
    void delete(String audience) {
        advertiser(me()).delete("/v1/audiences/" + audience).then().statusCode(204);
    }

    void append(String audience, String digests) {
        advertiser(me()).contentType("text/plain").body(digests.getBytes(StandardCharsets.UTF_8))
                .post("/v1/audiences/" + audience + "/members").then().statusCode(200);
    }

    /**
     * The shown count of the colluder's audience (-1 when suppressed), charging {@code target} (or none: -1) with
     * the ε of the answer; null when this colluder's budget is spent (the caller starts over with the next one).
     */
    Long shown(String audience, int target) {
        Response report = advertiser(me()).get("/v1/audiences/" + audience);
        if (report.statusCode() == 429) {
            refusals++;
            current++;
            if (current >= colluders.size()) {
                throw new IllegalStateException("the attack ran out of colluders; give it more");
            }
            return null;
        }
        report.then().statusCode(200);
        if (target >= 0) {
            Boolean fresh = report.path("fresh");
            Float epsilon = report.path("epsilon");
            spentOn[target] += fresh == null ? DEFAULT_EPSILON : fresh ? epsilon : 0;
        }
        Integer matched = report.path("matched");
        return matched == null ? -1L : matched.longValue();
    }

    void guess(int target, boolean matched) {
        guesses[target] = matched;
    }

    String me() {
        return colluders.get(current);
    }

    int refusals() {
        return refusals;
    }

    /** The outcome over the targets whose truth is {@code truth}. */
    Outcome outcome(boolean[] truth) {
        int right = 0;
        double bound = 0;
        double variance = 0;
        for (int t = 0; t < truth.length; t++) {
            if (guesses[t] == truth[t]) {
                right++;
            }
            // Pure ε-DP: no test tells "in" from "out" with probability above e^ε / (1 + e^ε) (uniform prior).
            double b = Math.exp(spentOn[t]) / (1 + Math.exp(spentOn[t]));
            bound += b;
            variance += b * (1 - b);
        }
        int n = truth.length;
        return new Outcome(right / (double) n, bound / n, 3 * Math.sqrt(variance) / n, n);
    }

    /** Accuracy over the targets, the mean bound its spent ε allows, and a 3-sigma margin for n targets. */
    record Outcome(double accuracy, double bound, double margin, int targets) {
        boolean withinBound() {
            return accuracy <= bound + margin;
        }

        @Override
        public String toString() {
            return String.format("accuracy %.3f over %d targets; the spent ε allows %.3f (+ margin %.3f)", accuracy,
                    targets, bound, margin);
        }
    }
}
