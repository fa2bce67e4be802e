package io.freshet.dsl;

/**
 * What a feature computes over the events of its window.
 *
 * <p>Every aggregation over an empty window has a defined value: a count is 0 and a sum is 0.
 */
public sealed interface Aggregation extends java.io.Serializable
    permits Aggregation.Count, Aggregation.Sum {

  /** The number of events. */
  static Aggregation count() {
    return new Count();
  }

  /** The sum of a numeric field; events without the field add nothing. */
  static Aggregation sum(String field) {
    return new Sum(field);
  }

  /** The operator's short name, part of generated feature names: {@code count}, {@code sum}. */
  String op();

  /** The input field, or {@code null} for aggregations that read no field. */
  String inputField();

  /** The type of the value this aggregation produces. */
  FeatureType resultType();

  /** The number of events. Type {@link FeatureType#INT64}. */
  record Count() implements Aggregation {
    @Override
    public String op() {
      return "count";
    }

    @Override
    public String inputField() {
      return null;
    }

    @Override
    public FeatureType resultType() {
      return FeatureType.INT64;
    }
  }

  /** The sum of a numeric field. Type {@link FeatureType#FLOAT64}. */
  record Sum(String field) implements Aggregation {
    public Sum {
      Names.checkField("sum", field);
    }

    @Override
    public String op() {
      return "sum";
    }

    @Override
    public String inputField() {
      return field;
    }

    @Override
    public FeatureType resultType() {
      return FeatureType.FLOAT64;
    }
  }
}
