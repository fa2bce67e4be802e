package io.freshet.gateway.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a raw request path on '/' and percent-decodes each segment (RFC 3986), so an entity key
 * may hold any character, '/' included (as {@code %2F}).
 *
 * <p>Unlike {@link java.net.URLDecoder}, '+' stays '+': form encoding does not apply to paths.
 * Characters U+0080..U+00FF are taken as raw bytes, since the HTTP decoder reads the request line
 * one byte per char; a client that sends UTF-8 unescaped (as curl does) is therefore read right.
 */
final class PathSegments {
  private PathSegments() {}

  /** The raw segments of {@code path}, split on every '/', empty segments kept. */
  static List<String> split(String path) {
    List<String> segments = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= path.length(); i++) {
      if (i == path.length() || path.charAt(i) == '/') {
        segments.add(path.substring(from, i));
        from = i + 1;
      }
    }
    return segments;
  }

  /**
   * The decoded text of one segment.
   *
   * @throws IllegalArgumentException naming the problem when an escape is malformed or the bytes
   *     are not UTF-8
   */
  static String decode(String segment) {
    if (segment.indexOf('%') < 0 && isAscii(segment)) {
      return segment;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
    int i = 0;
    while (i < segment.length()) {
      int c = segment.codePointAt(i);
      if (c == '%') {
        if (i + 2 >= segment.length()) {
          throw new IllegalArgumentException(
              "incomplete percent escape at position "
                  + i
                  + " (a '%' must be followed by two hex digits; write a literal '%' as %25)");
        }
        int hi = hex(segment.charAt(i + 1));
        int lo = hex(segment.charAt(i + 2));
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException(
              "malformed percent escape '"
                  + segment.substring(i, i + 3)
                  + "' at position "
                  + i
                  + " (a '%' must be followed by two hex digits; write a literal '%' as %25)");
        }
        bytes.write(hi << 4 | lo);
        i += 3;
      } else if (c <= 0xFF) {
        bytes.write(c);
        i++;
      } else {
        bytes.writeBytes(Character.toString(c).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(c);
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException(
          "percent escapes do not decode as UTF-8 (encode the text as UTF-8 before escaping it)",
          e);
    }
  }

  /** The value of an ASCII hex digit, or -1 (Character.digit would also accept other scripts). */
  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }
}
