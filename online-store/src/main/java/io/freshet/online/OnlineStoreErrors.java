package io.freshet.online;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.io.EOFException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Set;

/**
 * What a failure of the online store means: whether waiting helps, and what a person can do about
 * it. Writers retry on {@link #isTransient}, and report the rest with {@link #explain}.
 */
public final class OnlineStoreErrors {
  /** Error replies that go away by waiting: loading after a restart, failover, memory pressure. */
  private static final Set<String> TRANSIENT_ERRORS =
      Set.of(
          "LOADING",
          "BUSY",
          "TRYAGAIN",
          "CLUSTERDOWN",
          "MASTERDOWN",
          "READONLY",
          "NOSCRIPT",
          "OOM");

  private static final List<String> WRAPPED_CODES =
      List.of("WRONGTYPE", "OOM", "READONLY", "NOPERM", "LOADING", "MASTERDOWN");

  private OnlineStoreErrors() {}

  /**
   * Error replies in the transient set (LOADING, BUSY, TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY,
   * NOSCRIPT, OOM), failures to connect, timeouts, and errors of the socket. When a connection
   * drops, Lettuce fails the commands in flight with what the socket reported, which is no {@link
   * RedisException}: a {@link SocketException} ("Connection reset") while replies are pending, or a
   * {@link ClosedChannelException} when a pipelined flush reaches a channel that closed after the
   * commands were queued.
   */
  public static boolean isTransient(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RedisCommandExecutionException x) {
        return TRANSIENT_ERRORS.contains(errorCode(x.getMessage()));
      }
      if (t instanceof RedisConnectionException
          || t instanceof RedisCommandTimeoutException
          || t instanceof SocketException
          || t instanceof SocketTimeoutException
          || t instanceof EOFException
          || t instanceof ClosedChannelException) {
        return true;
      }
    }
    // Any other client-side Redis error is about the connection ("Connection closed", ...).
    return e instanceof RedisException;
  }

  /**
   * Whether {@code e} is a failure of the online store (a refused connection, a timeout, an error
   * reply), not of the caller: a tool reports those with the store's address.
   */
  public static boolean isStoreFailure(Throwable e) {
    return e instanceof RedisException || e instanceof OnlineStoreUnavailableException;
  }

  /** The failure's message and, where one helps, what to do about it. */
  public static String explain(Exception e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    String hint =
        switch (errorCode(m)) {
          case "WRONGTYPE" ->
              "; a key of the online table holds another type: something else writes these keys";
          case "NOAUTH", "WRONGPASS", "NOPERM" ->
              "; check the user and password of the Redis URI and the user's ACL";
          case "ERR" ->
              m.contains("syntax") || m.contains("unknown command")
                  ? "; the online sink needs Redis 6.2 or newer (SET ... PXAT, EVALSHA)"
                  : "";
          default -> "";
        };
    return m + hint;
  }

  /**
   * The error code of a Redis error reply: its first word, or for an error raised inside a script
   * (Redis before 7 wraps those in {@code ERR Error running script ...}) the code it wraps.
   */
  public static String errorCode(String message) {
    String m = String.valueOf(message);
    if (m.startsWith("ERR Error running script")) {
      for (String code : WRAPPED_CODES) {
        if (m.contains(code + " ")) {
          return code;
        }
      }
    }
    int space = m.indexOf(' ');
    return space < 0 ? m : m.substring(0, space);
  }
}
