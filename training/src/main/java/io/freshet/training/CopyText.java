package io.freshet.training;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Postgres' {@code COPY} text format, as the builder streams rows in and out of the server: one row
 * per line ending in LF, fields separated by TAB, {@code \N} for null, and backslash escapes for
 * backslash, TAB, LF, CR and the other control characters. Data bytes 0x09 and 0x0A therefore never
 * occur inside a field, and neither can occur inside a multi-byte UTF-8 character, so a row splits
 * on raw bytes.
 */
final class CopyText {
  private CopyText() {}

  /** The index of the next TAB or LF at or after {@code from}, or {@code row.length}. */
  static int fieldEnd(byte[] row, int from) {
    for (int i = from; i < row.length; i++) {
      byte b = row[i];
      if (b == '\t' || b == '\n') {
        return i;
      }
    }
    return row.length;
  }

  /** Decodes the field {@code row[from, to)}: null for {@code \N}. */
  static String decode(byte[] row, int from, int to) {
    if (to - from == 2 && row[from] == '\\' && row[from + 1] == 'N') {
      return null;
    }
    int backslash = -1;
    for (int i = from; i < to; i++) {
      if (row[i] == '\\') {
        backslash = i;
        break;
      }
    }
    if (backslash < 0) {
      return new String(row, from, to - from, StandardCharsets.UTF_8);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
    out.write(row, from, backslash - from);
    int i = backslash;
    while (i < to) {
      byte b = row[i++];
      if (b != '\\' || i == to) {
        out.write(b);
        continue;
      }
      byte e = row[i++];
      switch (e) {
        case 'b' -> out.write('\b');
        case 'f' -> out.write('\f');
        case 'n' -> out.write('\n');
        case 'r' -> out.write('\r');
        case 't' -> out.write('\t');
        case 'v' -> out.write(0x0B);
        case 'x' -> {
          int v = 0;
          int digits = 0;
          while (digits < 2 && i < to && Character.digit(row[i], 16) >= 0) {
            v = v * 16 + Character.digit(row[i++], 16);
            digits++;
          }
          if (digits == 0) {
            out.write('x');
          } else {
            out.write(v);
          }
        }
        default -> {
          if (e >= '0' && e <= '7') {
            int v = e - '0';
            for (int d = 0; d < 2 && i < to && row[i] >= '0' && row[i] <= '7'; d++) {
              v = v * 8 + (row[i++] - '0');
            }
            out.write(v);
          } else {
            out.write(e);
          }
        }
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** A whole number field, e.g. a {@code bigint}; the field must not be null. */
  static long parseLong(byte[] row, int from, int to) {
    boolean negative = row[from] == '-';
    long v = 0;
    for (int i = negative ? from + 1 : from; i < to; i++) {
      int d = row[i] - '0';
      if (d < 0 || d > 9) {
        throw new IllegalStateException(
            "expected a whole number from Postgres, got '"
                + new String(row, from, to - from, StandardCharsets.UTF_8)
                + "'");
      }
      v = v * 10 - d;
    }
    return negative ? v : -v;
  }

  /** Appends a field to a row being built: {@code \N} for null, else the escaped value. */
  static void append(StringBuilder row, String value) {
    if (value == null) {
      row.append("\\N");
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> row.append("\\\\");
        case '\t' -> row.append("\\t");
        case '\n' -> row.append("\\n");
        case '\r' -> row.append("\\r");
        default -> row.append(c);
      }
    }
  }
}
