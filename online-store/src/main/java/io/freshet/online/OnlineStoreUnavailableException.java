package io.freshet.online;

/**
 * The online store could not answer in time: Redis is unreachable, disconnected, loading, or slower
 * than the command timeout. Callers answer 503 and retry later; the store reconnects by itself.
 */
public final class OnlineStoreUnavailableException extends RuntimeException {
  OnlineStoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
