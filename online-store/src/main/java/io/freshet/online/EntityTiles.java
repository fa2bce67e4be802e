package io.freshet.online;

import java.util.List;
import java.util.Objects;

/**
 * One entity's tiles of a request-time view as one run of {@link TileScripts#READ} saw them.
 *
 * @param readMicros the store's clock ({@code TIME}) when they were read, in epoch microseconds:
 *     the request instant; every tile's {@code visibleMicros} is at most this
 * @param tiles the stored tiles, by ascending start; empty when the entity has none
 */
public record EntityTiles(long readMicros, List<StoredTile> tiles) {
  public EntityTiles {
    tiles = List.copyOf(Objects.requireNonNull(tiles, "tiles"));
  }
}
