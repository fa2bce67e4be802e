package io.freshet.training;

import io.freshet.dsl.FeatureType;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;

/**
 * Feature values computed in Java (the request-time rule's) in the text form Postgres gives the
 * same values read from an offline table, so that a set renders them as it renders any other (see
 * {@link CsvValues}): INT64 as digits, FLOAT64 as {@code float8} prints with {@code
 * extra_float_digits = 1}, STRING as itself, STRING_LIST as a {@code text[]} literal.
 */
final class PostgresText {
  private PostgresText() {}

  /** The text of {@code value} of a feature of {@code type}; null stays null. */
  static String of(FeatureType type, Object value) {
    if (value == null) {
      return null;
    }
    return switch (type) {
      case INT64 -> Long.toString(((Number) value).longValue());
      case FLOAT64 -> float8(((Number) value).doubleValue());
      case STRING -> value.toString();
      case STRING_LIST -> arrayLiteral((List<?>) value);
    };
  }

  /**
   * A {@code text[]} literal as Postgres prints it: elements quoted when they must be (empty,
   * {@code NULL} in any case, or holding a space, quote, backslash, comma or brace), null elements
   * as {@code NULL}.
   */
  static String arrayLiteral(List<?> values) {
    StringBuilder sb = new StringBuilder("{");
    for (Object v : values) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      if (v == null) {
        sb.append("NULL");
        continue;
      }
      String s = v.toString();
      boolean quote = s.isEmpty() || s.equalsIgnoreCase("NULL");
      for (int i = 0; i < s.length() && !quote; i++) {
        char c = s.charAt(i);
        quote =
            c == '"'
                || c == '\\'
                || c == ','
                || c == '{'
                || c == '}'
                || " \t\n\r\f\u000b".indexOf(c) >= 0;
      }
      if (!quote) {
        sb.append(s);
        continue;
      }
      sb.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '"' || c == '\\') {
          sb.append('\\');
        }
        sb.append(c);
      }
      sb.append('"');
    }
    return sb.append('}').toString();
  }

  /**
   * A double as Postgres 12+ prints a {@code float8} with {@code extra_float_digits > 0}: the
   * shortest decimal that reads back to the same double (of two, the nearer; of two as near, the
   * one with an even last digit), in positional notation for decimal exponents from -4 to 14 and
   * otherwise as {@code d.ddde+XX} with at least two exponent digits; {@code NaN}, {@code
   * Infinity}, {@code -Infinity}, {@code 0} and {@code -0} spelled so.
   */
  static String float8(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return 1 / d < 0 ? "-0" : "0";
    }
    BigDecimal exact = new BigDecimal(d);
    // the decimals strictly between the midpoints to the neighbouring doubles read back to d;
    // Postgres' shortest-decimal code does not take the midpoints themselves
    double below = Math.nextDown(d);
    double above = Math.nextUp(d);
    // next to the largest finite doubles, the missing neighbour mirrors the other one
    BigDecimal gapBelow = Double.isInfinite(below) ? null : exact.subtract(new BigDecimal(below));
    BigDecimal gapAbove = Double.isInfinite(above) ? null : new BigDecimal(above).subtract(exact);
    if (gapAbove == null) {
      gapAbove = gapBelow;
    }
    if (gapBelow == null) {
      gapBelow = gapAbove;
    }
    BigDecimal two = BigDecimal.valueOf(2);
    BigDecimal low = exact.subtract(gapBelow.divide(two));
    BigDecimal high = exact.add(gapAbove.divide(two));
    BigDecimal shortest = null;
    for (int p = 1; p <= 17 && shortest == null; p++) {
      BigDecimal down = exact.round(new MathContext(p, RoundingMode.FLOOR));
      BigDecimal up = exact.round(new MathContext(p, RoundingMode.CEILING));
      boolean downOk = down.compareTo(low) > 0 && down.compareTo(high) < 0;
      boolean upOk = up.compareTo(low) > 0 && up.compareTo(high) < 0;
      if (downOk && upOk && down.compareTo(up) != 0) {
        int c = exact.subtract(down).abs().compareTo(up.subtract(exact).abs());
        if (c == 0) {
          shortest = down.unscaledValue().testBit(0) ? up : down;
        } else {
          shortest = c < 0 ? down : up;
        }
      } else if (downOk) {
        shortest = down;
      } else if (upOk) {
        shortest = up;
      }
    }
    if (shortest == null) {
      throw new IllegalStateException("no decimal of 17 digits reads back to " + d);
    }
    shortest = shortest.stripTrailingZeros();
    String digits = shortest.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - shortest.scale();
    StringBuilder sb = new StringBuilder();
    if (shortest.signum() < 0) {
      sb.append('-');
    }
    if (exponent >= -4 && exponent < 15) {
      if (exponent < 0) {
        sb.append("0.");
        sb.append("0".repeat(-exponent - 1));
        sb.append(digits);
      } else if (digits.length() <= exponent + 1) {
        sb.append(digits).append("0".repeat(exponent + 1 - digits.length()));
      } else {
        sb.append(digits, 0, exponent + 1)
            .append('.')
            .append(digits, exponent + 1, digits.length());
      }
    } else {
      sb.append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      sb.append('e').append(exponent < 0 ? '-' : '+');
      int abs = Math.abs(exponent);
      if (abs < 10) {
        sb.append('0');
      }
      sb.append(abs);
    }
    return sb.toString();
  }
}
