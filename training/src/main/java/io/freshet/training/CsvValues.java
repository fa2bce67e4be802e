package io.freshet.training;

import io.freshet.dsl.FeatureType;
import java.util.ArrayList;
import java.util.List;

/**
 * How a feature value, as Postgres renders it in text, appears in a CSV training set.
 *
 * <ul>
 *   <li>INT64: decimal digits, e.g. {@code 42}.
 *   <li>FLOAT64: Postgres' shortest text that reads back to the same double ({@code 0.1}, {@code
 *       3.3333333333333335}, {@code 1e+20}, {@code NaN}, {@code Infinity}, {@code -Infinity}): what
 *       Postgres 12+ prints with {@code extra_float_digits = 1}. Not Java's {@code
 *       Double.toString}, whose digits changed between JDK releases.
 *   <li>STRING: the text.
 *   <li>STRING_LIST: a JSON array of strings, e.g. {@code ["web","ios"]} (null elements as {@code
 *       null}).
 * </ul>
 */
final class CsvValues {
  private CsvValues() {}

  /** The CSV form of a value in Postgres text form; null stays null. */
  static String render(FeatureType type, String postgresText) {
    if (postgresText == null || type != FeatureType.STRING_LIST) {
      return postgresText;
    }
    return arrayLiteralToJson(postgresText);
  }

  /**
   * A one-dimensional Postgres text array literal ({@code {a,"b c",NULL}}) as a JSON array ({@code
   * ["a","b c",null]}).
   */
  static String arrayLiteralToJson(String literal) {
    StringBuilder json = new StringBuilder("[");
    boolean firstElement = true;
    for (String element : arrayLiteralElements(literal)) {
      json.append(firstElement ? "" : ",");
      firstElement = false;
      if (element == null) {
        json.append("null");
      } else {
        appendJsonString(json, element);
      }
    }
    return json.append(']').toString();
  }

  /**
   * The elements of a one-dimensional Postgres text array literal ({@code {a,"b c",NULL}} gives
   * {@code a}, {@code b c} and null), in order.
   */
  static List<String> arrayLiteralElements(String literal) {
    int start = literal.indexOf('{');
    if (start < 0 || !literal.endsWith("}")) {
      throw new IllegalStateException("not a Postgres array literal: " + literal);
    }
    List<String> elements = new ArrayList<>();
    int i = start + 1;
    int end = literal.length() - 1;
    StringBuilder element = new StringBuilder();
    while (i < end) {
      element.setLength(0);
      boolean quoted = literal.charAt(i) == '"';
      if (quoted) {
        i++;
        while (i < end && literal.charAt(i) != '"') {
          char c = literal.charAt(i++);
          if (c == '\\' && i < end) {
            c = literal.charAt(i++);
          }
          element.append(c);
        }
        i++;
      } else {
        while (i < end && literal.charAt(i) != ',') {
          element.append(literal.charAt(i++));
        }
      }
      String text = element.toString();
      elements.add(!quoted && text.equalsIgnoreCase("NULL") ? null : text);
      if (i < end && literal.charAt(i) == ',') {
        i++;
      }
    }
    return elements;
  }

  private static void appendJsonString(StringBuilder json, CharSequence s) {
    json.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    json.append('"');
  }
}
