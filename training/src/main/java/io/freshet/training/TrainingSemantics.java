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
 *   <li>{@link #AS_SERVED}: exactly what the gateway returned at {@code L}: per tile, the newest
 *       version the online store served at or before {@code L} (the offline history's visibility
 *       instants, to the microsecond), merged by the serving rule at {@code L}. Zero
 *       training-serving skew by construction. Labels earlier than the view version's first served
 *       tile have no serving history (a backfilled period) and take {@link #FINAL} values; the
 *       manifest counts them per view. Request-time views only for now: window-end views do not
 *       record yet the instant the online table served each row.
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
