package io.freshet.gateway.online;

/**
 * The status of one served value, named as Feast's {@code FieldStatus} so Feast clients read it
 * unchanged. Precedence, first match wins: the row is missing (NOT_FOUND), cannot be decoded
 * (INVALID), is older than the view's TTL (OUTSIDE_MAX_AGE, value still returned), the value is
 * null (NULL_VALUE), else PRESENT.
 *
 * <p>For a request-time view the value is computed at the request instant: NOT_FOUND when the
 * entity has no tiles or the rule finds them expired; never OUTSIDE_MAX_AGE (the rule serves the
 * empty window's values within the TTL and nothing after it); NULL_VALUE where the value over the
 * window is null (e.g. a minimum over a window with no events).
 */
public enum FieldStatus {
  /** A value within the view's TTL. */
  PRESENT,
  /** The row is fresh but this feature has no value in it (e.g. a minimum over no events). */
  NULL_VALUE,
  /** The online table has no row for the entity in this view. */
  NOT_FOUND,
  /** The row is older than the view's TTL; its value is returned for the caller to judge. */
  OUTSIDE_MAX_AGE,
  /** The stored row cannot be decoded by this gateway (corrupt, or a newer format); no value. */
  INVALID;

  /** The status of a value of a row read with {@code rowStatus}. */
  public static FieldStatus of(FieldStatus rowStatus, Object value) {
    return rowStatus == PRESENT && value == null ? NULL_VALUE : rowStatus;
  }
}
