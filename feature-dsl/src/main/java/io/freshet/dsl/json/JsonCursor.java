package io.freshet.dsl.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.dsl.DefinitionException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;

/**
 * A JSON object being read, with its path from the document root ({@code features[2].aggregation}),
 * so that every error names where it happened. Not thread-safe; one per read.
 */
final class JsonCursor {
  private static final int MAX_SHOWN = 60;

  private final ObjectNode node;
  private final String path;

  private JsonCursor(ObjectNode node, String path) {
    this.node = node;
    this.path = path;
  }

  /** The document root, which must be an object. */
  static JsonCursor root(JsonNode node, String what) {
    if (!(node instanceof ObjectNode o)) {
      throw new DefinitionException(
          "expected " + what + " as a JSON object, got " + show(node, MAX_SHOWN));
    }
    return new JsonCursor(o, "");
  }

  /** The path of this object, empty for the root. */
  String path() {
    return path;
  }

  /** The path of one of this object's fields. */
  String path(String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  boolean has(String field) {
    JsonNode n = node.get(field);
    return n != null && !n.isNull();
  }

  /** Rejects fields other than the given ones, so that a misspelt field is not silently lost. */
  JsonCursor allowOnly(String... fields) {
    List<String> known = Arrays.asList(fields);
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new DefinitionException(
            path(name) + ": unknown field (expected one of: " + String.join(", ", known) + ")");
      }
    }
    return this;
  }

  String string(String field) {
    JsonNode n = required(field, "a string");
    if (!n.isTextual()) {
      throw mistyped(field, "a string", n);
    }
    return n.textValue();
  }

  double number(String field) {
    JsonNode n = required(field, "a number");
    if (!n.isNumber()) {
      throw mistyped(field, "a number", n);
    }
    return n.doubleValue();
  }

  /** A number, or {@code absent} when the field is missing or null. */
  double number(String field, double absent) {
    return has(field) ? number(field) : absent;
  }

  /** A 32-bit integer, or {@code absent} when the field is missing or null. */
  int integer(String field, int absent) {
    if (!has(field)) {
      return absent;
    }
    JsonNode n = node.get(field);
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw mistyped(field, "an integer", n);
    }
    return n.intValue();
  }

  /** Whether the field holds exactly the string {@code text}. */
  boolean isText(String field, String text) {
    JsonNode n = node.get(field);
    return n != null && n.isTextual() && n.textValue().equals(text);
  }

  /** An ISO-8601 duration such as {@code "PT15M"}. */
  Duration duration(String field) {
    JsonNode n = required(field, "an ISO-8601 duration such as \"PT1H\"");
    if (!n.isTextual()) {
      throw mistyped(field, "an ISO-8601 duration such as \"PT1H\"", n);
    }
    Duration d;
    try {
      d = Duration.parse(n.textValue());
    } catch (DateTimeParseException e) {
      throw new DefinitionException(
          path(field)
              + ": "
              + show(n, MAX_SHOWN)
              + " is not an ISO-8601 duration (write e.g. \"PT30S\", \"PT15M\", \"PT1H\" or"
              + " \"P7D\")");
    }
    try {
      d.toMillis();
    } catch (ArithmeticException e) {
      throw new DefinitionException(
          path(field) + ": " + show(n, MAX_SHOWN) + " is too long to count in milliseconds");
    }
    return d;
  }

  JsonCursor object(String field) {
    JsonNode n = required(field, "an object");
    if (!(n instanceof ObjectNode o)) {
      throw mistyped(field, "an object", n);
    }
    return new JsonCursor(o, path(field));
  }

  /** An array of objects; {@code absent} when the field is missing or null and not required. */
  List<JsonCursor> objects(String field, boolean required) {
    if (!required && !has(field)) {
      return List.of();
    }
    JsonNode n = required(field, "an array of objects");
    if (!n.isArray()) {
      throw mistyped(field, "an array of objects", n);
    }
    List<JsonCursor> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      JsonNode e = n.get(i);
      String p = path(field) + "[" + i + "]";
      if (!(e instanceof ObjectNode o)) {
        throw new DefinitionException(p + ": expected an object, got " + show(e, MAX_SHOWN));
      }
      out.add(new JsonCursor(o, p));
    }
    return out;
  }

  List<String> strings(String field) {
    JsonNode n = required(field, "an array of strings");
    if (!n.isArray()) {
      throw mistyped(field, "an array of strings", n);
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      JsonNode e = n.get(i);
      if (!e.isTextual()) {
        throw new DefinitionException(
            path(field) + "[" + i + "]: expected a string, got " + show(e, MAX_SHOWN));
      }
      out.add(e.textValue());
    }
    return out;
  }

  /** An error about one of this object's fields. */
  DefinitionException error(String field, String problem) {
    return new DefinitionException(path(field) + ": " + problem);
  }

  /** An error about this object as a whole. */
  DefinitionException error(String problem) {
    return new DefinitionException(path.isEmpty() ? problem : path + ": " + problem);
  }

  /**
   * Runs a DSL constructor for this object; its validation error comes out prefixed with this
   * object's path.
   */
  <T> T build(Supplier<T> constructor) {
    return located(path, constructor);
  }

  /** As {@link #build(Supplier)}, for a value at {@code field} inside this object. */
  <T> T build(String field, Supplier<T> constructor) {
    return located(path(field), constructor);
  }

  private static <T> T located(String at, Supplier<T> constructor) {
    try {
      return constructor.get();
    } catch (DefinitionException e) {
      if (at.isEmpty()) {
        throw e;
      }
      DefinitionException located = new DefinitionException(at + ": " + e.getMessage());
      located.initCause(e);
      throw located;
    }
  }

  /** The JSON text of this object, shortened: for messages. */
  String shown() {
    return show(node, MAX_SHOWN);
  }

  private JsonNode required(String field, String expected) {
    JsonNode n = node.get(field);
    if (n == null) {
      throw new DefinitionException(path(field) + ": missing (expected " + expected + ")");
    }
    if (n.isNull()) {
      throw new DefinitionException(path(field) + ": expected " + expected + ", got null");
    }
    return n;
  }

  private DefinitionException mistyped(String field, String expected, JsonNode got) {
    return new DefinitionException(
        path(field) + ": expected " + expected + ", got " + show(got, MAX_SHOWN));
  }

  static String show(JsonNode n, int max) {
    String s = n == null ? "nothing" : n.toString();
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
