package be.audiencematch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The clients that drive a running service for the demo, the load tests and the benchmarks. bin/audience-match calls
 * them after starting Redis and the service; each declares its options here (for --help and to refuse a wrong one)
 * and its driver reads them from the argument list as given.
 */
final class DriverCommands {

    private DriverCommands() {
    }

    interface Driver {
        int run(List<String> args) throws Exception;
    }

    /** Hands the options given, as given, to the driver. */
    abstract static class Passing implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--base-url", paramLabel = "URL", description = "the service (default: http://localhost:8080)")
        String baseUrl;

        abstract Driver driver();

        @Override
        public Integer call() throws Exception {
            List<String> args = new ArrayList<>();
            for (CommandLine.Model.OptionSpec option : spec.commandLine().getParseResult().matchedOptions()) {
                if (option.usageHelp() || option.versionHelp()) {
                    continue;
                }
                for (String value : option.originalStringValues()) {
                    args.add(option.longestName());
                    args.add(value);
                }
            }
            return driver().run(args);
        }
    }

    @Command(name = "demo-seed", mixinStandardHelpOptions = true,
            description = "Seed a running service with a synthetic base, a segment and an audience; print a report.")
    static final class DemoSeed extends Passing {
        @Option(names = "--subscribers", paramLabel = "N", description = "default: 100000")
        Integer subscribers;

        @Override
        Driver driver() {
            return Demo::run;
        }
    }

    @Command(name = "bench", mixinStandardHelpOptions = true, description = "The core benchmark; prints one JSON line.")
    static final class BenchCore extends Passing {
        @Option(names = "--redis-url", paramLabel = "URL", description = "the service's Redis")
        String redisUrl;
        @Option(names = "--subscribers", paramLabel = "N", description = "default: 1000000")
        Integer subscribers;
        @Option(names = "--segments", paramLabel = "N", description = "default: 50")
        Integer segments;
        @Option(names = "--audience-rows", paramLabel = "N", description = "default: 1000000")
        Integer audienceRows;

        @Override
        Driver driver() {
            return Bench::run;
        }
    }

    @Command(name = "bench-export", mixinStandardHelpOptions = true,
            description = "The Ads & Data export benchmark; prints one JSON line.")
    static final class BenchExport extends Passing {
        @Option(names = "--members", paramLabel = "N", description = "default: 1000000")
        Integer members;
        @Option(names = "--service-pid", paramLabel = "PID", description = "the service, for its peak memory")
        Long servicePid;

        @Override
        Driver driver() {
            return ExportBench::run;
        }
    }

    @Command(name = "bench-bulk", mixinStandardHelpOptions = true,
            description = "The bulk load alone, on a warmed service; prints one JSON line.")
    static final class BenchBulk extends Passing {
        @Option(names = "--subscribers", paramLabel = "N", description = "default: 1000000")
        Integer subscribers;
        @Option(names = "--warm-up", paramLabel = "N", description = "subscribers loaded first (default: 300000)")
        Integer warmUp;
        @Option(names = "--redis-pid", paramLabel = "PID", description = "Redis, for its CPU time")
        Long redisPid;
        @Option(names = "--service-pid", paramLabel = "PID", description = "the service, for its CPU time")
        Long servicePid;

        @Override
        Driver driver() {
            return BulkBench::run;
        }
    }

    @Command(name = "seed-load", mixinStandardHelpOptions = true,
            description = "Seed a service for the load tests; write the campaign ids to a file.")
    static final class SeedLoad extends Passing {
        @Option(names = "--subscribers", paramLabel = "N", description = "default: 100000")
        Integer subscribers;
        @Option(names = "--campaigns", paramLabel = "N", description = "default: 50")
        Integer campaigns;
        @Option(names = "--audience-percent", paramLabel = "P",
                description = "the advertiser audience's share of the base, 1 to 100 (default: 60; 1 makes it sparse, "
                        + "so the eligibility view keeps it compressed)")
        Integer audiencePercent;
        @Option(names = "--out", paramLabel = "FILE", description = "default: campaigns.txt")
        String out;

        @Override
        Driver driver() {
            return LoadSeed::run;
        }
    }

    @Command(name = "bench-eligibility", mixinStandardHelpOptions = true,
            description = "The eligibility benchmark (wrk) on a seeded service; prints one JSON line.")
    static final class BenchEligibility extends Passing {
        @Option(names = "--subscribers", paramLabel = "N", description = "default: 1000000")
        Integer subscribers;
        @Option(names = "--campaigns-file", paramLabel = "FILE", description = "default: campaigns.txt")
        String campaignsFile;
        @Option(names = "--management-url", paramLabel = "URL",
                description = "the service's management interface, for its metrics (default: the --base-url)")
        String managementUrl;
        @Option(names = "--step-seconds", paramLabel = "S", description = "default: 8")
        Integer stepSeconds;
        @Option(names = "--withdrawals", paramLabel = "N", description = "default: 1000")
        Integer withdrawals;
        @Option(names = "--redis-pid", paramLabel = "PID", description = "Redis, for its CPU time")
        Long redisPid;
        @Option(names = "--service-pid", paramLabel = "PID", description = "the service, for its CPU time")
        Long servicePid;

        @Override
        Driver driver() {
            return EligibilityBench::run;
        }
    }
}
