package be.audiencematch.cli;

import be.audiencematch.identity.IdentifierNormalizer;
import be.audiencematch.identity.IdentifierType;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A customer list read as a stream, one row at a time: one column's clear-text identifiers, normalised and hashed
 * as the service's own rules say (docs/identifiers.md). A row whose value does not normalise is counted, never sent.
 */
final class CsvIdentifiers implements Closeable {

    /** Names a column when the user did not: the first header cell that is one of these. */
    static final String[] EMAIL_HEADERS = {"email", "e-mail", "email_address", "mail"};
    static final String[] PHONE_HEADERS = {"phone", "phone_number", "mobile", "telephone"};

    /** The column was named wrong: the message names the option, never a cell. */
    static final class NoSuchColumn extends Exception {
        NoSuchColumn(String message) {
            super(message);
        }
    }

    private final Counting bytes;
    private final MappingIterator<String[]> rows;
    private final int column;
    private final IdentifierType type;
    private final IdentifierNormalizer normalizer;
    private long read;
    private long invalid;

    /**
     * @param columnOption the option that named the column, for messages
     * @param column a header name or a 1-based index; null to look for a usual header name
     */
    CsvIdentifiers(InputStream in, char separator, boolean header, IdentifierType type, String columnOption,
                   String column, String country) throws IOException, NoSuchColumn {
        this.bytes = new Counting(in);
        Reader reader = new InputStreamReader(bytes, StandardCharsets.UTF_8);
        CsvMapper csv = new CsvMapper();
        this.rows = csv.readerFor(String[].class).with(CsvParser.Feature.WRAP_AS_ARRAY)
                .with(CsvSchema.emptySchema().withColumnSeparator(separator)).readValues(reader);
        this.type = type;
        this.normalizer = new IdentifierNormalizer(country);
        String[] names = header && rows.hasNext() ? rows.next() : new String[0];
        if (names.length > 0 && names[0].startsWith("\uFEFF")) {
            names[0] = names[0].substring(1);
        }
        this.column = resolve(names, header, columnOption, column);
    }

    private int resolve(String[] names, boolean header, String option, String wanted) throws NoSuchColumn {
        if (wanted != null && wanted.matches("[0-9]{1,4}")) {
            int index = Integer.parseInt(wanted);
            if (index < 1) {
                throw new NoSuchColumn(option + " counts columns from 1");
            }
            return index - 1;
        }
        if (!header) {
            throw new NoSuchColumn(option + " must be a column number (1, 2, ...) when the file has no header");
        }
        String[] candidates = wanted != null ? new String[] {wanted}
                : type == IdentifierType.EMAIL_SHA256 ? EMAIL_HEADERS : PHONE_HEADERS;
        for (String candidate : candidates) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].strip().toLowerCase(Locale.ROOT).equals(candidate.strip().toLowerCase(Locale.ROOT))) {
                    return i;
                }
            }
        }
        throw new NoSuchColumn(option + " names no column of the header row (give its header name or its number)");
    }

    /** The next row's SHA-256 hex digest, or null when its value does not normalise (counted). Ask hasNext first. */
    String next() throws IOException {
        String[] row;
        try {
            row = rows.next();
        } catch (RuntimeException e) {
            // Jackson's message may quote the cell: say where, not what.
            throw new IOException("the CSV cannot be read at row " + (read + 1), e);
        }
        read++;
        String value = column < row.length ? row[column] : null;
        if (value == null || value.isBlank()) {
            invalid++;
            return null;
        }
        try {
            return normalizer.hashHex(type, value);
        } catch (IllegalArgumentException e) {
            invalid++;
            return null;
        }
    }

    boolean hasNext() throws IOException {
        try {
            return rows.hasNextValue();
        } catch (RuntimeException e) {
            throw new IOException("the CSV cannot be read after row " + read, e);
        }
    }

    long rowsRead() {
        return read;
    }

    long invalid() {
        return invalid;
    }

    long bytesRead() {
        return bytes.count;
    }

    @Override
    public void close() throws IOException {
        rows.close();
    }

    /** Counts the bytes read, for the ETA. */
    private static final class Counting extends FilterInputStream {
        volatile long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int off, int len) throws IOException {
            int n = super.read(buffer, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
