package io.freshet.dsl;

import java.io.Serializable;

/**
 * What a feature computes over the events of its window.
 *
 * <p>Every aggregation is mergeable: a window's value is the merge of its slices' partial values,
 * in any order. The value over an empty window is defined: 0 for counts and sums, null for the
 * others (there is no minimum of nothing).
 *
 * <p>Exact kinds: {@link #count()}, {@link #sum}, {@link #min}, {@link #max}, {@link #avg}, {@link
 * #first}, {@link #last}, {@link #countDistinct}, {@link #lastK}. Approximate kinds are mergeable
 * sketches from Apache DataSketches with documented error: {@link #approxCountDistinct} (HLL) and
 * {@link #approxPercentile} (KLL).
 */
public sealed interface Aggregation extends Serializable
    permits Aggregation.Count,
        Aggregation.Sum,
        Aggregation.Min,
        Aggregation.Max,
        Aggregation.Avg,
        Aggregation.First,
        Aggregation.Last,
        Aggregation.CountDistinct,
        Aggregation.ApproxCountDistinct,
        Aggregation.ApproxPercentile,
        Aggregation.LastK,
        Aggregation.LastEventTime {

  /** The number of events. */
  static Aggregation count() {
    return new Count();
  }

  /** The sum of a numeric field; events without the field add nothing. */
  static Aggregation sum(String field) {
    return new Sum(field);
  }

  /** The smallest value of a numeric field; null over a window without values. */
  static Aggregation min(String field) {
    return new Min(field);
  }

  /** The largest value of a numeric field; null over a window without values. */
  static Aggregation max(String field) {
    return new Max(field);
  }

  /** The mean of a numeric field; null over a window without values. */
  static Aggregation avg(String field) {
    return new Avg(field);
  }

  /** The field's value on the earliest event (ties by event time: the smallest value). */
  static Aggregation first(String field) {
    return new First(field);
  }

  /** The field's value on the latest event (ties by event time: the greatest value). */
  static Aggregation last(String field) {
    return new Last(field);
  }

  /** The exact number of distinct values of a field; absent values are not counted. */
  static Aggregation countDistinct(String field) {
    return new CountDistinct(field);
  }

  /**
   * The number of distinct values of a field, estimated with an HLL sketch of {@code 2^12} buckets:
   * relative standard error about 1.6%, exact below a few hundred values.
   */
  static Aggregation approxCountDistinct(String field) {
    return new ApproxCountDistinct(field, ApproxCountDistinct.DEFAULT_LG_K);
  }

  /**
   * The {@code quantile} (0 to 1) of a numeric field, estimated with a KLL sketch of {@code k =
   * 200}: normalized rank error about 1.65%. Null over a window without values.
   */
  static Aggregation approxPercentile(String field, double quantile) {
    return new ApproxPercentile(field, quantile, ApproxPercentile.DEFAULT_K);
  }

  /**
   * The field's values on the {@code k} latest events, newest first (ties: greater value first).
   */
  static Aggregation lastK(String field, int k) {
    return new LastK(field, k);
  }

  /**
   * The greatest event time among the events, as epoch milliseconds ({@link FeatureType#INT64});
   * null over a window without events.
   */
  static Aggregation lastEventTime() {
    return new LastEventTime();
  }

  /** The kind of aggregation: its row in the table that the JSON form and the engines read. */
  AggregationKind kind();

  /**
   * What a generated feature name says about the aggregation: the kind's JSON name ({@code count},
   * {@code sum}), or a name that also tells the parameter ({@code p95}, {@code last5}).
   */
  default String namePart() {
    return kind().jsonName();
  }

  /** The input field, or {@code null} for aggregations that read no field. */
  String inputField();

  /** The type of the value this aggregation produces. */
  default FeatureType resultType() {
    return kind().resultType();
  }

  /** A canonical text of the aggregation's meaning, e.g. {@code sum(revenue)}. */
  default String describe() {
    return kind().jsonName() + "(" + (inputField() == null ? "*" : inputField()) + ")";
  }

  /** The number of events. Type {@link FeatureType#INT64}. */
  record Count() implements Aggregation {
    @Override
    public AggregationKind kind() {
      return AggregationKind.COUNT;
    }

    @Override
    public String inputField() {
      return null;
    }
  }

  /** The sum of a numeric field. Type {@link FeatureType#FLOAT64}. */
  record Sum(String field) implements Aggregation {
    public Sum {
      Names.checkField("sum", field);
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.SUM;
    }

    @Override
    public String inputField() {
      return field;
    }
  }

  /** The smallest value of a numeric field. Type {@link FeatureType#FLOAT64}. */
  record Min(String field) implements Aggregation {
    public Min {
      Names.checkField("min", field);
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.MIN;
    }

    @Override
    public String inputField() {
      return field;
    }
  }

  /** The largest value of a numeric field. Type {@link FeatureType#FLOAT64}. */
  record Max(String field) implements Aggregation {
    public Max {
      Names.checkField("max", field);
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.MAX;
    }

    @Override
    public String inputField() {
      return field;
    }
  }

  /** The mean of a numeric field. Type {@link FeatureType#FLOAT64}. */
  record Avg(String field) implements Aggregation {
    public Avg {
      Names.checkField("avg", field);
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.AVG;
    }

    @Override
    public String inputField() {
      return field;
    }
  }

  /** The value on the earliest event, as text. Type {@link FeatureType#STRING}. */
  record First(String field) implements Aggregation {
    public First {
      Names.checkField("first", field);
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.FIRST;
    }

    @Override
    public String inputField() {
      return field;
    }
  }

  /** The value on the latest event, as text. Type {@link FeatureType#STRING}. */
  record Last(String field) implements Aggregation {
    public Last {
      Names.checkField("last", field);
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.LAST;
    }

    @Override
    public String inputField() {
      return field;
    }
  }

  /** The exact number of distinct values. Type {@link FeatureType#INT64}. */
  record CountDistinct(String field) implements Aggregation {
    public CountDistinct {
      Names.checkField("count_distinct", field);
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.COUNT_DISTINCT;
    }

    @Override
    public String inputField() {
      return field;
    }
  }

  /**
   * The estimated number of distinct values (HLL, {@code 2^lgK} buckets). Type {@link
   * FeatureType#INT64}.
   */
  record ApproxCountDistinct(String field, int lgK) implements Aggregation {
    /** 4096 buckets: about 1.6% relative standard error, 2.5 KiB per full sketch. */
    public static final int DEFAULT_LG_K = 12;

    public ApproxCountDistinct {
      Names.checkField("approx_count_distinct", field);
      if (lgK < 4 || lgK > 21) {
        throw new DefinitionException(
            "approx_count_distinct of '"
                + field
                + "': lgK "
                + lgK
                + " is outside 4..21 (12 gives about 1.6% error)");
      }
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.APPROX_COUNT_DISTINCT;
    }

    @Override
    public String inputField() {
      return field;
    }

    @Override
    public String describe() {
      return kind().jsonName() + "(" + field + ", lgK=" + lgK + ")";
    }
  }

  /** An estimated quantile (KLL sketch with parameter k). Type {@link FeatureType#FLOAT64}. */
  record ApproxPercentile(String field, double quantile, int k) implements Aggregation {
    /** k = 200: about 1.65% normalized rank error. */
    public static final int DEFAULT_K = 200;

    public ApproxPercentile {
      Names.checkField("approx_percentile", field);
      if (!(quantile >= 0 && quantile <= 1)) {
        throw new DefinitionException(
            "approx_percentile of '"
                + field
                + "': quantile "
                + quantile
                + " is outside 0..1 (use 0.95 for the 95th percentile)");
      }
      if (k < 8 || k > 65535) {
        throw new DefinitionException(
            "approx_percentile of '" + field + "': k " + k + " is outside 8..65535 (200 is usual)");
      }
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.APPROX_PERCENTILE;
    }

    /** {@code p95} for 0.95, {@code p99_9} for 0.999: distinct quantiles get distinct names. */
    @Override
    public String namePart() {
      String digits =
          java.math.BigDecimal.valueOf(quantile)
              .movePointRight(2)
              .stripTrailingZeros()
              .toPlainString();
      return "p" + digits.replace('.', '_');
    }

    @Override
    public String inputField() {
      return field;
    }

    @Override
    public String describe() {
      return "approx_percentile(" + field + ", q=" + quantile + ", k=" + k + ")";
    }
  }

  /** The values on the k latest events, newest first. Type {@link FeatureType#STRING_LIST}. */
  record LastK(String field, int k) implements Aggregation {
    public LastK {
      Names.checkField("last_k", field);
      if (k < 1 || k > 1000) {
        throw new DefinitionException(
            "last_k of '"
                + field
                + "': k "
                + k
                + " is outside 1..1000 (keep k small: every slice"
                + " keeps up to k values)");
      }
    }

    @Override
    public AggregationKind kind() {
      return AggregationKind.LAST_K;
    }

    /** {@code last5} for k = 5. */
    @Override
    public String namePart() {
      return "last" + k;
    }

    @Override
    public String inputField() {
      return field;
    }

    @Override
    public String describe() {
      return "last_k(" + field + ", k=" + k + ")";
    }
  }

  /** The greatest event time, in epoch milliseconds. Type {@link FeatureType#INT64}. */
  record LastEventTime() implements Aggregation {
    @Override
    public AggregationKind kind() {
      return AggregationKind.LAST_EVENT_TIME;
    }

    @Override
    public String inputField() {
      return null;
    }
  }
}
