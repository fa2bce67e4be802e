package io.freshet.dsl;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * How a view's values are served: at window ends, or at request time.
 *
 * <ul>
 *   <li>{@link Mode#WINDOW_ENDS}: a row per window end {@code e} once the watermark passes {@code
 *       e}; values step at slide boundaries and wait for the out-of-orderness bound.
 *   <li>{@link Mode#REQUEST_TIME}: the operator's slices, called tiles, are committed at every
 *       checkpoint; a lookup at instant {@code t} merges the entity's tiles for the windows ending
 *       at {@code t}, the still open tile included. An event is served after the next checkpoint.
 * </ul>
 *
 * @param mode the serving mode
 * @param tile for request time, the tile size the view declares, or null for the view's slice (the
 *     gcd of its slide and window sizes); null for window ends
 */
public record Serving(Mode mode, Duration tile) implements Serializable {

  /** The two serving modes. */
  public enum Mode {
    WINDOW_ENDS,
    REQUEST_TIME
  }

  public Serving {
    Objects.requireNonNull(mode, "mode");
    if (mode == Mode.WINDOW_ENDS && tile != null) {
      throw new DefinitionException(
          "a tile size applies to request-time serving only (call servedAtRequestTime(tile))");
    }
    if (tile != null) {
      Durations.checkPositive("tile size", tile);
    }
  }

  /** Rows per window end, the default. */
  public static Serving windowEnds() {
    return new Serving(Mode.WINDOW_ENDS, null);
  }

  /** Request time, with tiles as large as the view's slice. */
  public static Serving requestTime() {
    return new Serving(Mode.REQUEST_TIME, null);
  }

  /** Request time with tiles of {@code tile}, which must divide the slide and every window size. */
  public static Serving requestTime(Duration tile) {
    return new Serving(Mode.REQUEST_TIME, Objects.requireNonNull(tile, "tile"));
  }

  public boolean requestTimeMode() {
    return mode == Mode.REQUEST_TIME;
  }
}
