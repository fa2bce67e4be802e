package io.freshet.training;

import java.util.Arrays;
import java.util.Locale;

/**
 * Which values a training set holds for a label at instant {@code L}; recorded in its manifest.
 *
 * <ul>
 *   <li>{@link #FINAL}: the value once every event within the allowed lateness arrived. For a
 *       window-end view, the offline row with the greatest window end {@code F} such that {@code F
 *       + availability delay <= L} (see {@link TrainingSetBuilder}). For a request-time view, the
 *       newest version of every tile, merged by the serving rule at the tile boundary at or before
 *       {@code L}: {@code floor(L, tile)}. The open tile holding {@code L} is cut, since it would
 *       bring events after {@code L}; so the value lacks the events of {@code [floor(L, tile), L)}
 *       (up to one tile of the newest events), a bias toward older values that a finer tile
 *       shrinks.
 *   <li>{@link #AS_SERVED}: exactly what the gateway returned at {@code L}, by the offline
 *       history's visibility instants (on the online store's clock, to the microsecond). For a
 *       request-time view: per tile, the newest version the online store served at or before {@code
 *       L}, merged by the serving rule at {@code L}. For a window-end view: the row the online
 *       table held at {@code L} (of the rows visible by {@code L}, the greatest window end, the
 *       latest visible on a tie), null once {@code L >= feature_ts + ttl}. Zero training-serving
 *       skew by construction. Labels earlier than the view version's first served tile or row have
 *       no serving history (a backfilled period) and take {@link #FINAL} values; the manifest
 *       counts them per view.
 * </ul>
 */
public enum TrainingSemantics {
  AS_SERVED("as-served"),
  FINAL("final");

  private final String label;

  TrainingSemantics(String label) {
    this.label = label;
  }

  /** The name in manifests and on the command line: {@code as-served} or {@code final}. */
  public String label() {
    return label;
  }

  /**
   * The semantics named {@code text} ({@code as-served} or {@code final}, case-insensitive).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static TrainingSemantics parse(String text) {
    String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    for (TrainingSemantics s : values()) {
      if (s.label.equals(t) || s.name().toLowerCase(Locale.ROOT).equals(t)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown training semantics '"
            + text
            + "' (use one of "
            + Arrays.stream(values()).map(TrainingSemantics::label).toList()
            + ")");
  }

  @Override
  public String toString() {
    return label;
  }
}
