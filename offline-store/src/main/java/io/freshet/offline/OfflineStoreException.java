package io.freshet.offline;

import java.sql.SQLException;

/**
 * A statement or stream of the offline store failed in Postgres: the session could not be opened, a
 * statement was refused, a {@code COPY} broke off. The message is the database's own, unchanged, so
 * that callers can put it into theirs as they always did; the cause is the driver's exception.
 */
public class OfflineStoreException extends Exception {
  OfflineStoreException(SQLException cause) {
    super(cause.getMessage(), cause);
  }
}
