package io.freshet.storage;

import java.util.Arrays;
import java.util.Objects;

/**
 * One version of one entity's tile of a request-time view: the accumulators of every aggregated
 * part over the events whose time lies in {@code [start, start + tile)}, in the slice layout of the
 * job's aggregation code ({@code io.freshet.aggregate.SliceCodec}).
 *
 * <p>A tile's {@code version} is the number of events folded into it: it grows with every event, a
 * late one within the allowed lateness included, so of two versions of one tile the greater is the
 * newer and holds every event of the other. The streaming job's state carries it, so a replay after
 * a restore produces the same versions again.
 *
 * @param entityKey the entity, encoded as {@link EntityKey} does
 * @param start the tile's start in epoch milliseconds, a multiple of the view's tile
 * @param version the number of events in the tile, at least 1
 * @param payload the accumulators, never modified once the tile exists
 */
public record Tile(String entityKey, long start, long version, byte[] payload) {
  public Tile {
    Objects.requireNonNull(entityKey, "entityKey");
    Objects.requireNonNull(payload, "payload");
    if (version < 1) {
      throw new IllegalArgumentException("a tile version counts events, at least 1: " + version);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tile t
        && t.start == start
        && t.version == version
        && t.entityKey.equals(entityKey)
        && Arrays.equals(t.payload, payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(entityKey, start, version, Arrays.hashCode(payload));
  }

  @Override
  public String toString() {
    return "Tile[" + entityKey + " @" + start + " v" + version + " " + payload.length + " B]";
  }
}
