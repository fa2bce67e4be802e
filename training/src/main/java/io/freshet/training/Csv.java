package io.freshet.training;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * The one owner of the CSV format that training sets are read from and written in (RFC 4180 with a
 * null).
 *
 * <ul>
 *   <li>UTF-8, one header line, then one record per line; fields separated by {@code ,}.
 *   <li>A field is quoted with {@code "} when it contains {@code ,}, {@code "}, CR or LF, or is the
 *       empty string; a {@code "} inside a quoted field is doubled.
 *   <li><b>Null</b> is an unquoted empty field; the empty string is {@code ""}. So {@code a,,""}
 *       holds {@code "a"}, null and {@code ""}.
 *   <li>Written lines end with LF. Read lines may end with LF or CRLF; a UTF-8 byte order mark at
 *       the start and empty lines between records are skipped.
 * </ul>
 *
 * <p>The writer's bytes are part of every training set's checksum, so this format never changes
 * silently: a change needs a new {@link TrainingSetBuilder#FORMAT_VERSION}. That is also why it is
 * written here rather than taken from a library whose upgrade could change a quoting rule.
 */
final class Csv {
  private Csv() {}

  /** A problem in a CSV text, at a line. */
  static final class FormatException extends Exception {
    final long line;

    FormatException(long line, String message) {
      super(message);
      this.line = line;
    }
  }

  /** Reads records from a character stream; not thread-safe. */
  static final class RecordReader {
    private final Reader in;
    private final char[] buf = new char[1 << 16];
    private int pos;
    private int len;
    private long line = 1;
    private long recordLine;
    private boolean first = true;
    private final StringBuilder field = new StringBuilder();

    RecordReader(Reader in) {
      this.in = in;
    }

    /** The line on which the record last returned by {@link #next()} starts (1-based). */
    long recordLine() {
      return recordLine;
    }

    /**
     * The next record, or null at the end. Each field is a string, or null for an unquoted empty
     * field.
     */
    String[] next() throws IOException, FormatException {
      int c = read();
      if (first) {
        first = false;
        if (c == '\uFEFF') {
          c = read();
        }
      }
      while (c == '\n' || c == '\r') {
        if (c == '\r' && (c = read()) != '\n') {
          throw new FormatException(line, "a carriage return must be followed by a line feed");
        }
        line++;
        c = read();
      }
      if (c < 0) {
        return null;
      }
      recordLine = line;
      List<String> fields = new ArrayList<>();
      while (true) {
        field.setLength(0);
        boolean quoted = false;
        if (c == '"') {
          quoted = true;
          long opened = line;
          while (true) {
            c = read();
            if (c < 0) {
              throw new FormatException(
                  opened, "a quoted field starts on this line and is never closed");
            }
            if (c == '"') {
              c = read();
              if (c != '"') {
                break;
              }
            } else if (c == '\n') {
              line++;
            }
            field.append((char) c);
          }
          if (c != ',' && c != '\n' && c != '\r' && c >= 0) {
            throw new FormatException(
                line, "text after the closing quote of a field (a quote inside a field is \"\")");
          }
        } else {
          while (c >= 0 && c != ',' && c != '\n' && c != '\r') {
            if (c == '"') {
              throw new FormatException(
                  line, "a quote inside an unquoted field (quote the field and double the quote)");
            }
            field.append((char) c);
            c = read();
          }
        }
        fields.add(!quoted && field.isEmpty() ? null : field.toString());
        if (c == ',') {
          c = read();
          continue;
        }
        if (c == '\r' && read() != '\n') {
          throw new FormatException(line, "a carriage return must be followed by a line feed");
        }
        if (c >= 0) {
          line++;
        }
        return fields.toArray(new String[0]);
      }
    }

    private int read() throws IOException {
      if (pos == len) {
        len = in.read(buf, 0, buf.length);
        pos = 0;
        if (len <= 0) {
          len = 0;
          return -1;
        }
      }
      return buf[pos++];
    }
  }

  /** Appends one record and its line feed. */
  static void writeRecord(Writer out, String[] fields) throws IOException {
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) {
        out.write(',');
      }
      writeField(out, fields[i]);
    }
    out.write('\n');
  }

  /** Appends one field: nothing for null, quoted when needed. */
  static void writeField(Writer out, String value) throws IOException {
    if (value == null) {
      return;
    }
    if (!needsQuotes(value)) {
      out.write(value);
      return;
    }
    out.write('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"') {
        out.write('"');
      }
      out.write(c);
    }
    out.write('"');
  }

  private static boolean needsQuotes(String value) {
    if (value.isEmpty()) {
      return true;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == ',' || c == '"' || c == '\n' || c == '\r') {
        return true;
      }
    }
    return false;
  }
}
