package io.freshet.online;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua script that reads the online rows of window-end views together with the online store's
 * clock. Redis runs a script atomically, so the rows it returns are exactly those the store held at
 * the instant it returns: a row stamped by {@link NewestWinsScript} is among them if and only if
 * its stamp is at most that instant.
 *
 * <p>{@code KEYS}: the online keys of the rows ({@link OnlineKeys#key}); on a Redis Cluster all
 * keys of one call lie in one slot. No arguments. Returns a flat array: the two strings of {@code
 * TIME} (seconds, microseconds), then one item per key in order, its stored value ({@link
 * NewestWinsScript}: the encoded row then its stamp) or nil when there is none. Each key is read
 * with its own {@code GET}, so any number of keys fits a call.
 *
 * <p>{@link OnlineReader#rows} is the one reader.
 */
public final class RowReadScript {
  /** The script's source. */
  public static final String SOURCE =
      """
      local t = redis.call('TIME')
      local r = {t[1], t[2]}
      for i = 1, #KEYS do
        r[i + 2] = redis.call('GET', KEYS[i])
      end
      return r
      """;

  public static final byte[] BYTES = SOURCE.getBytes(StandardCharsets.UTF_8);

  /** The SHA-1 of {@link #SOURCE}, as Redis names it for {@code EVALSHA}. */
  public static final String SHA = sha1(BYTES);

  private RowReadScript() {}

  private static String sha1(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-1", e);
    }
  }
}
