package be.audiencematch.cli;

import be.audiencematch.identity.IdentifierNormalizer;
import be.audiencematch.identity.IdentifierType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;

/**
 * {@code upload}: a CSV of clear-text e-mail addresses or phone numbers, normalised and hashed here (the service never
 * receives clear text), sent in gzip'd chunks that count once however often they are sent, then the audience's
 * report as one JSON line on stdout. An audience holds one identifier type, so one run uploads one column.
 */
@Command(name = "upload", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Hash a customer list locally and upload it to an audience; print the report as one JSON line.",
                "Rows whose value is not an e-mail address (or phone number) are counted and never sent."},
        footer = {"", "Example:", "  bin/audience-match upload --token-file adv.token --new 'Spring newsletter' \\",
                "      --channel tv --email-column email customers.csv"})
final class UploadCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Mixin
    ApiOptions api;

    @Option(names = "--audience", paramLabel = "ID", description = "an existing audience (aud_...)")
    String audience;
    @Option(names = "--new", paramLabel = "NAME", description = "create an audience of this name first")
    String newName;
    @Option(names = "--channel", paramLabel = "tv|web", description = "the new audience's channel")
    String channel;
    @Option(names = "--ttl-days", paramLabel = "N", description = "the new audience's lifetime, 1 to 540 (default 30)")
    Integer ttlDays;
    @Option(names = "--email-column", paramLabel = "C", description = "the e-mail column: header name or number from 1")
    String emailColumn;
    @Option(names = "--phone-column", paramLabel = "C", description = "the phone column: header name or number from 1")
    String phoneColumn;
    @Option(names = "--country", paramLabel = "CC", defaultValue = IdentifierNormalizer.DEFAULT_REGION,
            description = "region of national phone numbers (default: ${DEFAULT-VALUE})")
    String country;
    @Option(names = "--separator", paramLabel = "CHAR", defaultValue = ",", description = "default: ','")
    char separator;
    @Option(names = "--no-header", description = "the first row is data (columns by number only)")
    boolean noHeader;
    @Option(names = "--chunk-rows", paramLabel = "N", defaultValue = "50000", description = "rows a request "
            + "(default: ${DEFAULT-VALUE})")
    int chunkRows;
    @Option(names = "--progress", paramLabel = "bar|lines|none", description = "default: bar on a terminal, "
            + "else lines (on stderr)")
    UploadProgress.Mode progressMode;
    @Option(names = "--retries", paramLabel = "N", defaultValue = "6", description = "attempts after a failure per "
            + "chunk, with back-off (default: ${DEFAULT-VALUE})")
    int retries;
    @Parameters(paramLabel = "FILE.csv|-", description = "the list; '-' reads stdin")
    String file;

    @Override
    public Integer call() throws Exception {
        IdentifierType type = checkOptions();
        boolean terminal = onTerminal();
        UploadProgress.Mode mode = progressMode != null ? progressMode
                : terminal ? UploadProgress.Mode.bar : UploadProgress.Mode.lines;
        PrintStream err = System.err;
        long size = "-".equals(file) ? -1 : Files.size(Path.of(file));
        UploadProgress progress = UploadProgress.of(mode, err, size);
        AdvertiserClient client = api.client();
        String option = type == IdentifierType.EMAIL_SHA256 ? "--email-column" : "--phone-column";
        String column = type == IdentifierType.EMAIL_SHA256 ? emailColumn : phoneColumn;
        InputStream in = "-".equals(file) ? System.in : Files.newInputStream(Path.of(file));
        try (CsvIdentifiers list = new CsvIdentifiers(in, separator, !noHeader, type, option, column, country)) {
            String id = audience != null ? audience : create(client, type);
            String path = AdvertiserCommands.path(id);
            ChunkSender sender = new ChunkSender(client, path, retries, progress);
            Chunks chunks = new Chunks();
            while (list.hasNext()) {
                String digest = list.next();
                if (digest != null) {
                    chunks.add(digest);
                }
                if (chunks.rows == chunkRows) {
                    sender.send(++chunks.number, chunks.finish());
                    progress.sent(chunks.number, list.rowsRead(), list.bytesRead());
                } else if (list.rowsRead() % 512 == 0) {
                    progress.read(list.rowsRead(), list.bytesRead());
                }
            }
            if (chunks.rows > 0) {
                sender.send(++chunks.number, chunks.finish());
                progress.sent(chunks.number, list.rowsRead(), list.bytesRead());
            }
            progress.done(list.rowsRead(), list.bytesRead());
            JsonNode report = client.expect("GET", path, null);
            ObjectNode line = ((ObjectNode) report).deepCopy();
            ObjectNode totals = line.putObject("upload");
            totals.put("rows", list.rowsRead());
            totals.put("not_normalised", list.invalid());
            totals.put("sent", list.rowsRead() - list.invalid());
            totals.put("chunks", chunks.number);
            totals.put("retries", sender.retried());
            totals.put("received", sender.received);
            totals.put("valid", sender.valid);
            totals.put("seconds", Math.round(progress.seconds() * 10) / 10.0);
            System.out.println(AdvertiserClient.JSON.writeValueAsString(line));
            if (terminal && mode == UploadProgress.Mode.bar) {
                err.print(summary(report, totals, type));
            }
            return 0;
        } catch (CsvIdentifiers.NoSuchColumn e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        } catch (AdvertiserClient.Refused e) {
            // 429 (privacy budget, rate limit) and every other refusal: its detail, and stop; never loop.
            err.println("upload: stopped: the service answered " + e.getMessage());
            return 1;
        } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException e) {
            err.println("upload: stopped: the service at " + api.baseUrl + " cannot be reached");
            return 1;
        } catch (IOException e) {
            err.println("upload: stopped: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return 1;
        }
    }

    /**
     * Whether stderr (where the bar goes) is a terminal: bin/audience-match says so in AUDIENCE_MATCH_TERMINAL (bash
     * sees stderr; Java sees only whether stdin and stdout are, which a redirected report would hide).
     */
    static boolean onTerminal() {
        String told = System.getenv("AUDIENCE_MATCH_TERMINAL");
        return told != null && !told.isBlank() ? told.strip().equals("1") : System.console() != null;
    }

    /** The options' rules that picocli cannot say; a breach is a usage error naming the option. */
    private IdentifierType checkOptions() {
        CommandLine line = spec.commandLine();
        if ((audience == null) == (newName == null)) {
            throw new CommandLine.ParameterException(line, "give --audience ID or --new NAME (one of them)");
        }
        if (newName != null && !"tv".equals(channel) && !"web".equals(channel)) {
            throw new CommandLine.ParameterException(line, "--new needs --channel tv or --channel web");
        }
        if (audience != null && (channel != null || ttlDays != null)) {
            throw new CommandLine.ParameterException(line, "--channel and --ttl-days go with --new only");
        }
        if (emailColumn != null && phoneColumn != null) {
            // An audience holds one identifier type (docs/identifiers.md): upload each column to its own audience.
            throw new CommandLine.ParameterException(line, "--email-column and --phone-column: an audience holds one "
                    + "identifier type; run upload once per column, each to its own audience");
        }
        if (chunkRows < 1 || chunkRows > 1_000_000) {
            throw new CommandLine.ParameterException(line, "--chunk-rows must be between 1 and 1000000");
        }
        if (retries < 0 || retries > 20) {
            throw new CommandLine.ParameterException(line, "--retries must be between 0 and 20");
        }
        if (!"-".equals(file) && !Files.isReadable(Path.of(file))) {
            throw new CommandLine.ParameterException(line, "FILE cannot be read (give a CSV file or '-' for stdin)");
        }
        return phoneColumn != null ? IdentifierType.PHONE_SHA256 : IdentifierType.EMAIL_SHA256;
    }

    private String create(AdvertiserClient client, IdentifierType type) throws Exception {
        ObjectNode body = AdvertiserClient.JSON.createObjectNode().put("name", newName)
                .put("identifier_type", type.wireName()).put("channel", channel);
        if (ttlDays != null) {
            body.put("ttl_days", ttlDays);
        }
        String id = client.expect("POST", "/v1/audiences", AdvertiserClient.JSON.writeValueAsString(body))
                .path("id").asText();
        System.err.println("upload: created audience " + id);
        return id;
    }

    private static String summary(JsonNode report, ObjectNode totals, IdentifierType type) {
        String matched = report.path("below_threshold").asBoolean()
                ? "below the threshold of " + report.path("threshold").asLong() + " (not shown)"
                : String.format(Locale.ROOT, "%,d (rounded down to %d)", report.path("matched").asLong(),
                report.path("rounded_to").asLong());
        return String.format(Locale.ROOT, """
                        Audience %s (%s, %s)
                          rows read        %,d in %.1f s
                          not normalised   %,d (never sent)
                          sent             %,d in %d chunk(s), %d retried
                          matched          %s
                        """, report.path("id").asText(), report.path("channel").asText(),
                type == IdentifierType.EMAIL_SHA256 ? "e-mail" : "phone", totals.get("rows").asLong(),
                totals.get("seconds").asDouble(), totals.get("not_normalised").asLong(), totals.get("sent").asLong(),
                totals.get("chunks").asInt(), totals.get("retries").asInt(), matched);
    }

    /** One chunk's digests, gzip'd as they come. */
    private static final class Chunks {
        int number;
        int rows;
        private ByteArrayOutputStream buffer;
        private GZIPOutputStream gzip;

        void add(String digest) throws IOException {
            if (gzip == null) {
                buffer = new ByteArrayOutputStream(1 << 20);
                gzip = new GZIPOutputStream(buffer, 1 << 16);
            }
            gzip.write(digest.getBytes(StandardCharsets.US_ASCII));
            gzip.write('\n');
            rows++;
        }

        byte[] finish() throws IOException {
            gzip.close();
            byte[] bytes = buffer.toByteArray();
            gzip = null;
            rows = 0;
            return bytes;
        }
    }
}
