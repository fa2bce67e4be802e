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
 * @param readMicros the request instant on the online store's clock in epoch microseconds, at which
 *     the key was read, also when nothing was found: the answer (a value, its status, or no value)
 *     holds at that instant, and a training set built as served reproduces it there; {@link
 *     #NO_INSTANT} for a read made without the store's clock
 */
public record RowRead(
    RowKey key,
    OnlineFeatures found,
    UndecodableOnlineValueException undecodable,
    long readMicros) {
  /** {@link #readMicros} of a read made without the store's clock. */
  public static final long NO_INSTANT = Long.MIN_VALUE;

  /** A read made without the store's clock. */
  public RowRead(RowKey key, OnlineFeatures found, UndecodableOnlineValueException undecodable) {
    this(key, found, undecodable, NO_INSTANT);
  }

  /**
   * The event timestamp clients get: the found value's, else the request instant of a request-time
   * read, else null (the caller writes Feast's epoch for a missing window-end row).
   */
  public String eventTimestamp() {
    if (found != null) {
      return found.eventTimestamp();
    }
    return readMicros == NO_INSTANT || !key.plan().requestTime()
        ? null
        : OnlineFeatures.requestInstant(readMicros);
  }

  /**
   * The request instant as clients get it, with six fractional digits ({@link
   * OnlineFeatures#requestInstant}), or null for a read made without the store's clock.
   */
  public String requestInstant() {
    return readMicros == NO_INSTANT ? null : OnlineFeatures.requestInstant(readMicros);
  }

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
