package io.freshet.gateway.online;

/**
 * A value in the online table could not be read with the view's plan: a corrupt value, or one
 * written in a format version this gateway does not understand. A server-side fault, not the
 * caller's.
 */
public final class UndecodableOnlineValueException extends RuntimeException {
  private final String redisKey;

  UndecodableOnlineValueException(String redisKey, IllegalArgumentException cause) {
    super(
        "cannot decode online value at Redis key '" + redisKey + "': " + cause.getMessage(), cause);
    this.redisKey = redisKey;
  }

  /** The key whose value could not be decoded. */
  public String redisKey() {
    return redisKey;
  }
}
