package io.freshet.storage;

import java.util.Arrays;
import java.util.Objects;

/**
 * One result of a view for one entity and window end: what the offline table stores as a row and
 * the online table as the entity's latest value.
 *
 * <p>{@code values[i]} belongs to the view's part {@code i} and has its type: {@link Long} for
 * INT64, {@link Double} for FLOAT64, {@link String} for STRING, an unmodifiable {@code
 * List<String>} for STRING_LIST, or null.
 */
public final class FeatureRow {
  private final String entityKey;
  private final long featureTs;
  private final Object[] values;

  public FeatureRow(String entityKey, long featureTs, Object[] values) {
    this.entityKey = Objects.requireNonNull(entityKey, "entityKey");
    this.featureTs = featureTs;
    this.values = Objects.requireNonNull(values, "values");
  }

  public String entityKey() {
    return entityKey;
  }

  /** The window end in epoch milliseconds: when the values became knowable. */
  public long featureTs() {
    return featureTs;
  }

  /** The values in part order; the array is shared, do not modify it. */
  public Object[] values() {
    return values;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureRow r
        && r.featureTs == featureTs
        && r.entityKey.equals(entityKey)
        && Arrays.equals(r.values, values);
  }

  @Override
  public int hashCode() {
    return Objects.hash(entityKey, featureTs, Arrays.hashCode(values));
  }

  @Override
  public String toString() {
    return "FeatureRow[" + entityKey + " @" + featureTs + " " + Arrays.toString(values) + "]";
  }
}
