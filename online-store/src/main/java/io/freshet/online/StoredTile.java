package io.freshet.online;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tile version as the online table holds it ({@link TileScripts}): the caller knows the entity
 * and makes an {@code io.freshet.storage.Tile} of it.
 *
 * @param start the tile's start in epoch milliseconds
 * @param version the number of events in the tile
 * @param visibleMicros the instant in epoch microseconds on the store's clock from which this
 *     version could be read
 * @param payload the slice accumulators, as the job wrote them
 */
public record StoredTile(long start, long version, long visibleMicros, byte[] payload) {
  public StoredTile {
    Objects.requireNonNull(payload, "payload");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StoredTile t
        && t.start == start
        && t.version == version
        && t.visibleMicros == visibleMicros
        && Arrays.equals(t.payload, payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(start, version, visibleMicros, Arrays.hashCode(payload));
  }

  @Override
  public String toString() {
    return "StoredTile[@"
        + start
        + " v"
        + version
        + " visible "
        + visibleMicros
        + " us, "
        + payload.length
        + " B]";
  }
}
