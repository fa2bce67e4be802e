package io.freshet.offline;

import java.sql.SQLException;

/**
 * A Postgres error of the offline store, with the SQLState Postgres gave (null when it gave none),
 * so that callers outside the store can report it without reading JDBC's types: a session that
 * could not be opened, a statement refused, a {@code COPY} broken off. The message is that of the
 * error it wraps, unchanged, so that callers can put it into theirs as they always did.
 */
public final class OfflineStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String sqlState;

  /**
   * @param message what went wrong, as the person reading it needs it
   * @param sqlState the SQLState, e.g. {@code 08001}, or null
   * @param cause the error underneath
   */
  public OfflineStoreException(String message, String sqlState, Throwable cause) {
    super(message, cause);
    this.sqlState = sqlState;
  }

  /** Wraps a JDBC error, keeping its message and SQLState. */
  OfflineStoreException(SQLException cause) {
    this(cause.getMessage(), cause.getSQLState(), cause);
  }

  /** Wraps a JDBC error, keeping its message and SQLState. */
  static OfflineStoreException of(SQLException e) {
    return new OfflineStoreException(e);
  }

  /** The SQLState of the error, or null. */
  public String sqlState() {
    return sqlState;
  }
}
