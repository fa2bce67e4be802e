package io.freshet.online;

import java.nio.charset.StandardCharsets;

/**
 * The Lua script that writes the online rows of window-end views so that an older row never
 * replaces a newer one, and stamps each stored row with the instant from which it can be served.
 * Redis runs a script atomically, so the stamp, the read of the stored value and the write cannot
 * interleave with another script.
 *
 * <p><b>Stamp.</b> As the tile script ({@link TileScripts#WRITE}): reads {@code TIME}, sets {@code
 * stamp = now_us + 1}, then calls {@code TIME} until it returns at least {@code stamp}. Every
 * script that runs after this one (a gateway read among them) reads a {@code TIME >= stamp}, every
 * one that ran before read less. If {@code TIME} does not reach {@code stamp} within 100000 calls
 * (a clock stepped back), the script fails with an error starting {@code FRESHET_CLOCK} before
 * writing anything.
 *
 * <p><b>Stored value.</b> The row as {@link OnlineCodec#encode} made it, followed by {@value
 * #STAMP_BYTES} bytes: the stamp in epoch microseconds as a big-endian integer. Readers decode the
 * row and ignore what follows it ({@link OnlineCodec#decode}).
 *
 * <p><b>Per key</b>, the incoming row:
 *
 * <ul>
 *   <li>equal to the stored row, byte for byte (a replay after a restore): nothing changes, the
 *       reply is the stored stamp;
 *   <li>else, if the stored value has the same format version and a greater feature_ts (compared as
 *       the big-endian int64 at {@link OnlineCodec#FEATURE_TS_OFFSET}, sign bit flipped, byte by
 *       byte, without decoding): nothing changes, the reply is -1 (never served);
 *   <li>else, if its expiry is not after the stamp's millisecond: nothing changes, the reply is -1
 *       (it would expire at once);
 *   <li>else it is stored with the stamp ({@code SET ... PXAT expiry}) and the reply is the stamp.
 *       On equal feature_ts the incoming row wins: it is a later update of the same window. A
 *       stored value of another format version (byte 0) is always replaced, as is a value stored
 *       without a stamp by an earlier Freshet (its row is stamped now).
 * </ul>
 *
 * <p>Arguments: {@code KEYS[i]} the online key of row i, {@code ARGV[2i-1]} its encoded value,
 * {@code ARGV[2i]} its expiry in epoch milliseconds (decimal). On a Redis Cluster all keys of one
 * call lie in one slot. Returns an array of integers, one per key: the stamp in epoch microseconds
 * from which the row can be read, or -1. Stamps stay below 2^53, so Lua's numbers hold them
 * exactly. Works on Redis 6.2 and newer (effects replication; {@code redis.replicate_commands()} is
 * called where it exists).
 *
 * <p>Every writer of the online rows uses it through {@link OnlineWriter}, the one place its
 * arguments are packed: the streaming sink, the backfill and the restore of a lost online table.
 */
public final class NewestWinsScript {
  /** How many bytes of stamp follow an encoded row in the store. */
  public static final int STAMP_BYTES = 8;

  private static final int TS_FIRST = OnlineCodec.FEATURE_TS_OFFSET + 1;
  private static final int TS_LAST = OnlineCodec.FEATURE_TS_OFFSET + 8;

  /** The script's source; Lua strings are indexed from 1. */
  public static final String SOURCE =
      """
      if redis.replicate_commands then redis.replicate_commands() end
      local function clock()
        local t = redis.call('TIME')
        return tonumber(t[1]) * 1000000 + tonumber(t[2])
      end
      local function replaces(new, old)
        if string.len(old) < %1$d or string.byte(old, 1) ~= string.byte(new, 1) then
          return true
        end
        for i = %2$d, %1$d do
          local a, b = string.byte(new, i), string.byte(old, i)
          if i == %2$d then
            a, b = (a + 128) %% 256, (b + 128) %% 256
          end
          if a ~= b then
            return a > b
          end
        end
        return true
      end
      local stamp = clock() + 1
      local spins = 0
      while clock() < stamp do
        spins = spins + 1
        if spins > 100000 then
          return redis.error_reply('FRESHET_CLOCK the clock of Redis did not reach '
            .. string.format('%%.0f', stamp) .. ' us within 100000 calls of TIME (stepped back?);'
            .. ' retry the write')
        end
      end
      local nowMs = math.floor(stamp / 1000)
      local bytes = {}
      local rest = stamp
      for k = %3$d, 1, -1 do
        bytes[k] = rest %% 256
        rest = math.floor(rest / 256)
      end
      local stampBytes = string.char(unpack(bytes))
      local out = {}
      for i = 1, #KEYS do
        local new = ARGV[2 * i - 1]
        local expireAt = tonumber(ARGV[2 * i])
        local old = redis.call('GET', KEYS[i])
        local result = -1
        if old and string.len(old) == string.len(new) + %3$d
            and string.sub(old, 1, string.len(new)) == new then
          result = 0
          for k = string.len(new) + 1, string.len(old) do
            result = result * 256 + string.byte(old, k)
          end
        elseif (not old or replaces(new, old)) and expireAt > nowMs then
          redis.call('SET', KEYS[i], new .. stampBytes, 'PXAT', ARGV[2 * i])
          result = stamp
        end
        out[i] = result
      end
      return out
      """
          .formatted(TS_LAST, TS_FIRST, STAMP_BYTES);

  public static final byte[] BYTES = SOURCE.getBytes(StandardCharsets.UTF_8);

  private NewestWinsScript() {}
}
