package io.freshet.online;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts that write and read the tiles of request-time views, and the layout of a stored
 * tile. Redis runs a script atomically, so a write's stamp, its comparisons of versions and its
 * stores cannot interleave with another script, and a read sees the clock and the tiles of one
 * instant.
 *
 * <p><b>Layout.</b> One HASH per (view version, entity) at {@link OnlineKeys#key}; field = the
 * tile's start in epoch milliseconds as a decimal string; value = {@code
 * <version>:<stamp>:<payload>}: the tile's version and its visibility stamp (epoch microseconds on
 * the store's clock) as ASCII decimal integers, each followed by a colon, then the payload bytes
 * unchanged. Versions and stamps stay below 2^53, so Lua's numbers (doubles) hold them exactly; the
 * scripts parse the header with {@code string.find} and {@code string.sub} and compare numbers,
 * never strings.
 *
 * <p><b>{@link #WRITE}.</b> Reads {@code TIME}, sets {@code stamp = now_us + 1}, then calls {@code
 * TIME} until it returns at least {@code stamp} (about a microsecond): every script that runs after
 * this one reads a {@code TIME >= stamp}, every one that ran before read less. Then per tile: no
 * stored value, or a stored version older than the incoming one (or a value it cannot parse): the
 * incoming version is stored with {@code stamp}, and the reply is {@code stamp}; the same version
 * stored (a replay after a restore): nothing changes, the reply is the stored stamp; a newer
 * version stored: nothing changes, the reply is -1 (never served). Then per key: fields whose start
 * is below {@code floor(now_ms - maxWindow, tile)} (no read from now on selects them, see {@code
 * RequestTimeRule#unneededFrom}) are deleted, except the field with the greatest start, which
 * decides expiry; a version this call stored and deleted at once was never readable, so its reply
 * becomes -1 (a replayed version keeps its stamp: it was readable until now); and the key expires
 * at {@code maxStart + tile + maxWindow + ttl} (ms, {@code PEXPIREAT}; an instant not after now
 * deletes the key, as the rule finds the entity expired then, and the versions this call stored
 * reply -1). If {@code TIME} does not reach {@code stamp} within 100000 calls (a clock stepped
 * back), the script fails with an error starting {@code FRESHET_CLOCK} before writing anything.
 *
 * <ul>
 *   <li>{@code KEYS[k]}: the online key of entity k; on a Redis Cluster all keys of one call lie in
 *       one slot.
 *   <li>{@code ARGV[1]} the view's tile, {@code ARGV[2]} its longest window, {@code ARGV[3]} its
 *       TTL, all in milliseconds as decimal strings.
 *   <li>Then for each key in order: the number {@code n} of its tiles, then {@code n} triples:
 *       start (epoch ms, decimal), version (decimal, at least 1), payload (bytes). At most one
 *       version per (key, start).
 *   <li>Returns an array of integers, one per tile in argument order: the visibility stamp in epoch
 *       microseconds, or -1.
 * </ul>
 *
 * <p>Works on Redis 6.2 and newer: it writes after {@code TIME}, which needs effects replication
 * (the default since Redis 5; {@code redis.replicate_commands()} is called where it exists).
 *
 * <p><b>{@link #READ}.</b> {@code KEYS[1]} one entity's online key, no arguments. Returns a flat
 * array: the two strings of {@code TIME} (seconds, microseconds), then field, value, field, value,
 * ... of the hash ({@code HGETALL}; none when the key does not exist). The request instant is that
 * {@code TIME}; every tile version read has a stamp at most that instant.
 *
 * <p>{@link OnlineWriter#writeTiles} is the one place the write's arguments are packed, {@link
 * OnlineReader#tiles} the one reader; {@link #parse} reads a stored value.
 */
public final class TileScripts {
  /** The write script's source; Lua strings are indexed from 1. */
  public static final String WRITE =
      """
      if redis.replicate_commands then redis.replicate_commands() end
      local function clock()
        local t = redis.call('TIME')
        return tonumber(t[1]) * 1000000 + tonumber(t[2])
      end
      local stamp = clock() + 1
      local spins = 0
      while clock() < stamp do
        spins = spins + 1
        if spins > 100000 then
          return redis.error_reply('FRESHET_CLOCK the clock of Redis did not reach '
            .. string.format('%.0f', stamp) .. ' us within 100000 calls of TIME (stepped back?);'
            .. ' retry the write')
        end
      end
      local tile = tonumber(ARGV[1])
      local maxWindow = tonumber(ARGV[2])
      local ttl = tonumber(ARGV[3])
      local nowMs = math.floor(stamp / 1000)
      local x = nowMs - maxWindow
      local keepFrom = x - math.fmod(x, tile)
      if math.fmod(x, tile) < 0 then keepFrom = keepFrom - tile end
      local stampText = string.format('%.0f', stamp)
      local out = {}
      local a = 4
      for k = 1, #KEYS do
        local key = KEYS[k]
        local n = tonumber(ARGV[a])
        a = a + 1
        local stored = {}
        for j = 1, n do
          local field, versionText, payload = ARGV[a], ARGV[a + 1], ARGV[a + 2]
          local version = tonumber(versionText)
          a = a + 3
          local result = stamp
          local store = true
          local old = redis.call('HGET', key, field)
          if old then
            local c1 = string.find(old, ':', 1, true)
            local c2 = c1 and string.find(old, ':', c1 + 1, true)
            local oldVersion = c2 and tonumber(string.sub(old, 1, c1 - 1))
            local oldStamp = c2 and tonumber(string.sub(old, c1 + 1, c2 - 1))
            if oldVersion and oldStamp then
              if oldVersion > version then
                result = -1
                store = false
              elseif oldVersion == version then
                result = oldStamp
                store = false
              end
            end
          end
          out[#out + 1] = result
          if store then
            redis.call('HSET', key, field, versionText .. ':' .. stampText .. ':' .. payload)
            stored[field] = #out
          end
        end
        local fields = redis.call('HKEYS', key)
        local maxStart = nil
        for _, f in ipairs(fields) do
          local s = tonumber(f)
          if s and (maxStart == nil or s > maxStart) then maxStart = s end
        end
        if maxStart then
          local doomed = {}
          for _, f in ipairs(fields) do
            local s = tonumber(f)
            if s and s < keepFrom and s ~= maxStart then
              if stored[f] then out[stored[f]] = -1 end
              doomed[#doomed + 1] = f
              if #doomed == 1000 then
                redis.call('HDEL', key, unpack(doomed))
                doomed = {}
              end
            end
          end
          if #doomed > 0 then redis.call('HDEL', key, unpack(doomed)) end
          local expireAt = maxStart + tile + maxWindow + ttl
          if expireAt <= nowMs then
            for _, i in pairs(stored) do out[i] = -1 end
          end
          redis.call('PEXPIREAT', key, string.format('%.0f', expireAt))
        end
      end
      return out
      """;

  /** The read script's source. */
  public static final String READ =
      """
      local t = redis.call('TIME')
      local r = redis.call('HGETALL', KEYS[1])
      table.insert(r, 1, t[2])
      table.insert(r, 1, t[1])
      return r
      """;

  public static final byte[] WRITE_BYTES = WRITE.getBytes(StandardCharsets.UTF_8);
  public static final byte[] READ_BYTES = READ.getBytes(StandardCharsets.UTF_8);

  /** The SHA-1 of {@link #READ}, as Redis names it for {@code EVALSHA}. */
  public static final String READ_SHA = sha1(READ_BYTES);

  private TileScripts() {}

  /**
   * The stored tile at field {@code field} with value {@code value}, as {@link #READ} returns them.
   *
   * @throws IllegalArgumentException when the field is not a decimal start or the value has no
   *     {@code <version>:<stamp>:} header
   */
  public static StoredTile parse(byte[] field, byte[] value) {
    long start;
    try {
      start = Long.parseLong(new String(field, StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "tile field '"
              + new String(field, StandardCharsets.UTF_8)
              + "' is not a tile start in epoch milliseconds");
    }
    int c1 = indexOf(value, 0);
    int c2 = c1 < 0 ? -1 : indexOf(value, c1 + 1);
    if (c2 < 0) {
      throw new IllegalArgumentException(
          "tile value at field " + start + " has no '<version>:<stamp>:' header");
    }
    long version = decimal(value, 0, c1, start);
    long stamp = decimal(value, c1 + 1, c2, start);
    byte[] payload = new byte[value.length - c2 - 1];
    System.arraycopy(value, c2 + 1, payload, 0, payload.length);
    return new StoredTile(start, version, stamp, payload);
  }

  private static int indexOf(byte[] value, int from) {
    for (int i = from; i < value.length; i++) {
      if (value[i] == ':') {
        return i;
      }
    }
    return -1;
  }

  private static long decimal(byte[] value, int from, int to, long start) {
    String text = new String(value, from, to - from, StandardCharsets.US_ASCII);
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "tile value at field " + start + " has a malformed header number '" + text + "'");
    }
  }

  private static String sha1(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-1", e);
    }
  }
}
