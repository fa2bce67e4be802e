package io.freshet.online;

import java.nio.charset.StandardCharsets;

/**
 * The Lua script that writes online rows so that an older row never replaces a newer one. Redis
 * runs a script atomically, so the read of the stored value and the write cannot interleave with
 * another writer.
 *
 * <p>Per key: the stored value is replaced unless it has the same format version and a greater
 * feature_ts, which the script compares as the big-endian int64 at {@link
 * OnlineCodec#FEATURE_TS_OFFSET} without decoding the value (sign bit flipped, then byte by byte).
 * On equal feature_ts the incoming row wins: it is a later update of the same window. A stored
 * value of another format version (byte 0, {@link OnlineCodec#FORMAT_VERSION}) is always replaced,
 * since its feature_ts need not be where this version keeps it and readers reject it anyway. The
 * key then expires at the given unix time in milliseconds ({@code SET ... PXAT}, Redis 6.2 or
 * newer).
 *
 * <p>Arguments: {@code KEYS[i]} the online key of row i, {@code ARGV[2i-1]} its encoded value,
 * {@code ARGV[2i]} its expiry. Returns the number of keys written.
 *
 * <p>Every writer of the online table uses it through {@link OnlineWriter}, the one place its
 * arguments are packed: the streaming sink, the backfill and the restore of a lost online table.
 */
public final class NewestWinsScript {
  private static final int TS_FIRST = OnlineCodec.FEATURE_TS_OFFSET + 1;
  private static final int TS_LAST = OnlineCodec.FEATURE_TS_OFFSET + 8;

  /** The script's source; Lua strings are indexed from 1. */
  public static final String SOURCE =
      """
      local function replaces(new, old)
        if string.len(old) < %d or string.byte(old, 1) ~= string.byte(new, 1) then
          return true
        end
        for i = %d, %d do
          local a, b = string.byte(new, i), string.byte(old, i)
          if i == %d then
            a, b = (a + 128) %% 256, (b + 128) %% 256
          end
          if a ~= b then
            return a > b
          end
        end
        return true
      end
      local written = 0
      for i = 1, #KEYS do
        local new = ARGV[2 * i - 1]
        if replaces(new, redis.call('GETRANGE', KEYS[i], 0, %d)) then
          redis.call('SET', KEYS[i], new, 'PXAT', ARGV[2 * i])
          written = written + 1
        end
      end
      return written
      """
          .formatted(TS_LAST, TS_FIRST, TS_LAST, TS_FIRST, TS_LAST - 1);

  public static final byte[] BYTES = SOURCE.getBytes(StandardCharsets.UTF_8);

  private NewestWinsScript() {}
}
