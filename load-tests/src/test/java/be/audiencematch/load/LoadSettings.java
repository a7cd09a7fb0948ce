package be.audiencematch.load;

import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.PopulationBuilder;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;

/**
 * What every simulation reads from system properties (set by {@code bin/audience-match load}): where the service
 * is, the tokens to use, the seeded base, and the rate, duration and assertion limits.
 */
final class LoadSettings {

    final String baseUrl = System.getProperty("baseUrl", "http://localhost:8080");
    final double rate = Double.parseDouble(System.getProperty("rate", "20"));
    final int durationSeconds = Integer.getInteger("duration", 10);
    /** Seconds of ramp before the measured phase (0: none); its requests are named apart and not in the p99. */
    final int warmUpSeconds = Integer.getInteger("warmUp", 0);
    final int p99Ms = Integer.getInteger("p99Ms", 100);
    final int maxFailedPercent = Integer.getInteger("maxFailedPercent", 0);
    final String adserverToken = required("adserverToken");
    final String advertiserToken = required("advertiserToken");
    final String feedToken = required("feedToken");
    final List<String> campaigns = Arrays.asList(required("campaigns").split(","));
    final int subscribers = Integer.getInteger("subscribers", 10_000);

    /** The warm-up's arrival rate: from a tenth of the rate up to the rate, so a cold JVM is not hit at full rate. */
    OpenInjectionStep warmUpRamp() {
        return rampUsersPerSec(Math.max(1, rate / 10)).to(rate).during(warmUpSeconds);
    }

    /** What to set up: {@code warmUp} first when there is one, then the measured populations together. */
    List<PopulationBuilder> afterWarmUp(PopulationBuilder warmUp, PopulationBuilder... measured) {
        return warmUpSeconds > 0 ? List.of(warmUp.andThen(measured)) : List.of(measured);
    }

    private static String required(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name + " is required (bin/audience-match load sets it)");
        }
        return value;
    }

    /** A household of the seeded base: subscriber i lives in hh-(i/2). */
    String randomHousehold() {
        return "hh-" + ThreadLocalRandom.current().nextInt(subscribers / 2);
    }

    /** Ten candidate campaigns, drawn from the seeded ones. */
    String candidatesJson() {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < 10; i++) {
            if (i > 0) {
                json.append(',');
            }
            json.append('"').append(campaigns.get(ThreadLocalRandom.current().nextInt(campaigns.size()))).append('"');
        }
        return json.append(']').toString();
    }
}
