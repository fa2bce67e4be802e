package io.freshet.gateway.query;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * Received values as they appear in error messages: JSON text, clipped, with lone surrogates
 * replaced so the error itself is always valid JSON.
 */
public final class JsonText {
  /** The most characters of a received value an error repeats. */
  public static final int MAX_CHARS = 200;

  private JsonText() {}

  /** The node in JSON form, clipped; "" for a missing node. */
  public static String of(JsonNode node) {
    return node == null ? "" : clip(node.toString());
  }

  /** What kind of JSON value the node is, for "got a ..." messages. */
  public static String kind(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    switch (node.getNodeType()) {
      case ARRAY:
        return "a list";
      case OBJECT:
        return "an object";
      case STRING:
        return "a string";
      case BOOLEAN:
        return "a boolean";
      case NULL:
        return "null";
      case NUMBER:
        return node.isIntegralNumber() ? "an integer" : "a number";
      default:
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
  }

  /** The text, cut to {@link #MAX_CHARS} with a note of its length, surrogates made safe. */
  public static String clip(String text) {
    if (text == null) {
      return "";
    }
    String safe = text;
    if (safe.length() > MAX_CHARS) {
      int end = MAX_CHARS;
      if (Character.isHighSurrogate(safe.charAt(end - 1))) {
        end--;
      }
      safe = safe.substring(0, end) + "...(" + text.length() + " chars)";
    }
    return replaceLoneSurrogates(safe);
  }

  /** A message built from received text: surrogates made safe, length left alone but bounded. */
  public static String clipMessage(String message) {
    return replaceLoneSurrogates(
        message.length() > 4 * MAX_CHARS ? message.substring(0, 4 * MAX_CHARS) + "..." : message);
  }

  /** The index of the first unpaired surrogate, or -1 when the text is valid UTF-16. */
  public static int loneSurrogateAt(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return i;
        }
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  static String replaceLoneSurrogates(String s) {
    if (loneSurrogateAt(s) < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        sb.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        sb.append('\uFFFD');
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
