package io.freshet.dsl;

import java.util.Arrays;
import java.util.List;

/**
 * The table of aggregation kinds: for each, its name in the JSON form, what it reads from an event,
 * the type of its value, and its algebra. The DSL ({@link Aggregation#kind()}), the JSON form, the
 * event decoder and the window operator's aggregators all read this one table; a switch over it
 * without a default is checked by the compiler to name every kind.
 *
 * <p>Every kind is mergeable: a window's value is the merge of its slices' partial values, in any
 * order. An invertible kind can also take a slice back out of a merged value (a group rather than a
 * monoid, as Chronon's {@code Operation} puts it): count, sum and avg.
 */
public enum AggregationKind {
  COUNT("count", Input.NONE, FeatureType.INT64, true),
  SUM("sum", Input.NUMBER, FeatureType.FLOAT64, true),
  MIN("min", Input.NUMBER, FeatureType.FLOAT64, false),
  MAX("max", Input.NUMBER, FeatureType.FLOAT64, false),
  AVG("avg", Input.NUMBER, FeatureType.FLOAT64, true),
  FIRST("first", Input.TEXT, FeatureType.STRING, false),
  LAST("last", Input.TEXT, FeatureType.STRING, false),
  COUNT_DISTINCT("count_distinct", Input.TEXT, FeatureType.INT64, false),
  APPROX_COUNT_DISTINCT("approx_count_distinct", Input.TEXT, FeatureType.INT64, false),
  APPROX_PERCENTILE("approx_percentile", Input.NUMBER, FeatureType.FLOAT64, false),
  LAST_K("last_k", Input.TEXT, FeatureType.STRING_LIST, false),
  LAST_EVENT_TIME("last_event_time", Input.NONE, FeatureType.INT64, false);

  /** What an aggregation reads from each event. */
  public enum Input {
    /** Nothing but the event's presence and time (count, last event time). */
    NONE,
    /** A numeric field; an event whose field is not a number is rejected. */
    NUMBER,
    /** A field read as text, whether the JSON value is a string or a number. */
    TEXT
  }

  private final String jsonName;
  private final Input input;
  private final FeatureType resultType;
  private final boolean invertible;

  AggregationKind(String jsonName, Input input, FeatureType resultType, boolean invertible) {
    this.jsonName = jsonName;
    this.input = input;
    this.resultType = resultType;
    this.invertible = invertible;
  }

  /** The {@code "op"} of the JSON form and the head of the canonical description. */
  public String jsonName() {
    return jsonName;
  }

  /** What the kind reads from each event. */
  public Input input() {
    return input;
  }

  /** The type of the value the kind produces. */
  public FeatureType resultType() {
    return resultType;
  }

  /** Whether partial values merge in any order into the window's value: true for every kind. */
  public boolean mergeable() {
    return true;
  }

  /** Whether a slice's partial value can be subtracted from a merged one. */
  public boolean invertible() {
    return invertible;
  }

  /** The JSON names of every kind, in table order. */
  public static List<String> jsonNames() {
    return Arrays.stream(values()).map(AggregationKind::jsonName).toList();
  }

  /**
   * The kind with a JSON name, or null if there is none (the caller names the field and the known
   * names in its error).
   */
  public static AggregationKind ofJsonName(String name) {
    for (AggregationKind k : values()) {
      if (k.jsonName.equals(name)) {
        return k;
      }
    }
    return null;
  }
}
