package io.freshet.offline;

import java.sql.SQLException;
import org.postgresql.copy.CopyOut;

/**
 * A running {@code COPY ... TO STDOUT} of a {@link TrainingSession}: one row of {@code COPY} text
 * at a time, as Postgres sent it (UTF-8, fields separated by tabs, ending in LF), with no per-row
 * protocol overhead.
 */
public final class CopyOutStream {
  private final CopyOut out;

  CopyOutStream(CopyOut out) {
    this.out = out;
  }

  /** The next row's bytes, or null after the last. */
  public byte[] readRow() throws OfflineStoreException {
    try {
      return out.readFromCopy();
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }
}
