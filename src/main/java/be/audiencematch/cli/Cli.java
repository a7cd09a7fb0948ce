package be.audiencematch.cli;

import be.audiencematch.crypto.ExportKeys;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.util.List;

/**
 * The Java side of {@code bin/audience-match}: commands that need no running service (token, hash, keys, decrypt),
 * the advertisers' client (upload, audiences, report, delete) and the clients that drive a service for the demo and
 * the benchmarks. Run without the Quarkus runtime, on the packaged class path. Every command answers {@code --help};
 * a wrong option is an error that names it (exit 2).
 */
@Command(name = "audience-match", mixinStandardHelpOptions = true, version = "audience-match 0.1.0",
        description = "The Java commands of bin/audience-match (see README.md).",
        subcommands = {CommandLine.HelpCommand.class, ToolCommands.Token.class, ToolCommands.Hash.class,
                ToolCommands.Keys.class, ToolCommands.Decrypt.class, ToolCommands.EnsureKeys.class,
                UploadCommand.class, AdvertiserCommands.Audiences.class, AdvertiserCommands.Report.class,
                AdvertiserCommands.Delete.class,
                DriverCommands.DemoSeed.class, DriverCommands.BenchCore.class, DriverCommands.BenchExport.class,
                DriverCommands.BenchBulk.class, DriverCommands.SeedLoad.class, DriverCommands.BenchEligibility.class,
                BenchComparison.class, FanOutBench.class})
public final class Cli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Lettuce logs through Netty; JDK logging keeps SLF4J's start-up warnings out of the output.
        io.netty.util.internal.logging.InternalLoggerFactory.setDefaultFactory(
                io.netty.util.internal.logging.JdkLoggerFactory.INSTANCE);
        System.exit(commandLine().execute(args));
    }

    /** The parser with this launcher's conventions: errors by message (never a stack trace, which can quote data). */
    public static CommandLine commandLine() {
        CommandLine line = new CommandLine(new Cli());
        line.setUsageHelpWidth(100);
        // A usage error: what is wrong, naming the option, and where the help is; not the whole usage again.
        line.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            String message = e.getMessage();
            // A wrong option first, even when picocli stopped at a missing parameter; by name only: a stray value
            // may be someone's address.
            List<String> unmatched = e instanceof CommandLine.UnmatchedArgumentException u ? u.getUnmatched()
                    : cmd.getUnmatchedArguments();
            List<String> options = unmatched.stream().filter(a -> a.startsWith("-")).toList();
            if (!options.isEmpty()) {
                message = "unknown option " + String.join(", ", options);
            } else if (e instanceof CommandLine.UnmatchedArgumentException) {
                message = unmatched.size() + " argument(s) too many";
            }
            cmd.getErr().println(cmd.getCommandName() + ": " + message);
            CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
            cmd.getErr().println("see: " + cmd.getCommandSpec().qualifiedName() + " --help");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(cmd.getCommandName() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage()));
            return 1;
        });
        return line;
    }

    @Override
    public void run() {
        // No command: the usage, and a usage error's exit code.
        spec.commandLine().usage(System.err);
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    static Path keysDir() {
        String home = System.getenv().getOrDefault("AUDIENCE_MATCH_HOME", ".");
        return Path.of(home, ".local", "jwt");
    }

    static Path exportKeysDir() {
        String home = System.getenv().getOrDefault("AUDIENCE_MATCH_HOME", ".");
        return Path.of(home, ".local", "keys");
    }

    static void ensureKeys() throws Exception {
        new LocalKeys(keysDir()).ensure();
        ExportKeys.KeyFiles.ensureDevKeys(exportKeysDir().resolve("pseudonym-keys.json"),
                exportKeysDir().resolve("adsdata-public.key"));
    }

    /** Removes {@code name value} from args and returns the value (the drivers' own option reading). */
    static String option(java.util.List<String> args, String name, String fallback) {
        int at = args.indexOf(name);
        if (at < 0) {
            return fallback;
        }
        if (at + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        String value = args.get(at + 1);
        args.remove(at + 1);
        args.remove(at);
        return value;
    }
}
