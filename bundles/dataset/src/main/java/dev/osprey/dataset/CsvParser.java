package dev.osprey.dataset;

import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * An RFC 4180 CSV reader: fields separated by commas, records by CRLF, LF or CR; a field in double quotes
 * may hold commas, line breaks and doubled quotes ({@code ""} for {@code "}). A quote inside an unquoted
 * field is kept as it is. Blank lines are skipped; a byte-order mark at the start is dropped.
 */
public final class CsvParser implements Closeable {

    /** A problem in the CSV text at {@link #line}. */
    public static final class CsvFormatException extends Exception {
        private static final long serialVersionUID = 1L;
        public final long line;

        CsvFormatException(long line, String message) {
            super(message);
            this.line = line;
        }
    }

    private final Reader in;
    private long line = 1;
    private long recordLine = 1;
    private int pending = -2;
    private boolean first = true;

    public CsvParser(Reader in) {
        this.in = in;
    }

    /** The line on which the record last returned by {@link #next()} starts. */
    public long recordLine() {
        return recordLine;
    }

    private int read() throws IOException {
        int c;
        if (pending != -2) {
            c = pending;
            pending = -2;
        } else {
            c = in.read();
        }
        if (first) {
            first = false;
            if (c == '\uFEFF') {
                return read();
            }
        }
        return c;
    }

    private void unread(int c) {
        pending = c;
    }

    /** The next record, or null at the end. */
    public List<String> next() throws IOException, CsvFormatException {
        while (true) {
            recordLine = line;
            int c = read();
            if (c == -1) {
                return null;
            }
            if (c == '\n' || c == '\r') {
                endOfLine(c);
                continue; // a blank line
            }
            unread(c);
            return record();
        }
    }

    private void endOfLine(int c) throws IOException {
        if (c == '\r') {
            int d = read();
            if (d != '\n') {
                unread(d);
            }
        }
        line++;
    }

    private List<String> record() throws IOException, CsvFormatException {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        while (true) {
            int c = read();
            if (c == '"') {
                long openedOn = line;
                while (true) {
                    int d = read();
                    if (d == -1) {
                        throw new CsvFormatException(
                                openedOn, "a quoted field opened on line " + openedOn + " is not closed");
                    }
                    if (d == '"') {
                        int e = read();
                        if (e == '"') {
                            field.append('"');
                            continue;
                        }
                        unread(e);
                        break;
                    }
                    if (d == '\n') {
                        line++;
                    } else if (d == '\r') {
                        int e = read();
                        unread(e);
                        if (e != '\n') {
                            line++;
                        }
                    }
                    field.append((char) d);
                }
                c = read();
                if (c != ',' && c != '\n' && c != '\r' && c != -1) {
                    throw new CsvFormatException(
                            line,
                            "unexpected character '" + (char) c + "' after the closing quote of a field"
                                    + " (a quote inside a quoted field must be doubled: \"\")");
                }
            } else {
                while (c != ',' && c != '\n' && c != '\r' && c != -1) {
                    field.append((char) c);
                    c = read();
                }
            }
            fields.add(field.toString());
            field.setLength(0);
            if (c == ',') {
                continue;
            }
            if (c != -1) {
                endOfLine(c);
            }
            return fields;
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
