package io.freshet.gateway.online;

import java.util.Objects;

/**
 * What the online table holds for one {@link RowKey}: a row, nothing, or a value that cannot be
 * decoded. Exactly one of {@link #found()} and {@link #undecodable()} is non-null, or neither when
 * the row is missing.
 *
 * @param key the row asked for
 * @param found the decoded row, or null
 * @param undecodable why the stored value could not be read, or null
 */
public record RowRead(
    RowKey key, OnlineFeatures found, UndecodableOnlineValueException undecodable) {
  public RowRead {
    Objects.requireNonNull(key, "key");
    if (found != null && undecodable != null) {
      throw new IllegalArgumentException("a row read is either found or undecodable, not both");
    }
  }

  /** Whether the table has no row for the key (never written, or expired by Redis). */
  public boolean missing() {
    return found == null && undecodable == null;
  }

  /** The status every field of this row gets before looking at its value. */
  public FieldStatus rowStatus() {
    if (undecodable != null) {
      return FieldStatus.INVALID;
    }
    if (found == null) {
      return FieldStatus.NOT_FOUND;
    }
    return found.status() == FeatureStatus.OUTSIDE_MAX_AGE
        ? FieldStatus.OUTSIDE_MAX_AGE
        : FieldStatus.PRESENT;
  }
}
