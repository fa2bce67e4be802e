package io.freshet.offline;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import org.postgresql.copy.CopyIn;

/**
 * A running {@code COPY ... FROM STDIN} of a {@link TrainingSession}: lines of {@code COPY} text go
 * in through {@link #write}, {@link #end} completes it, and {@link #close} cancels it if it was not
 * completed (so that a failed fill leaves nothing behind once the transaction rolls back).
 */
public final class CopyInStream implements AutoCloseable {
  private final CopyIn in;

  CopyInStream(CopyIn in) {
    this.in = in;
  }

  /**
   * Sends {@code lines} (whole lines of {@code COPY} text, each ending in LF) as UTF-8, and empties
   * it.
   */
  public void write(StringBuilder lines) throws OfflineStoreException {
    byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
    try {
      in.writeToCopy(bytes, 0, bytes.length);
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
    lines.setLength(0);
  }

  /** Completes the {@code COPY}; returns how many rows it took. */
  public long end() throws OfflineStoreException {
    try {
      return in.endCopy();
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /** Cancels the {@code COPY} unless it was {@link #end ended}. */
  @Override
  public void close() throws OfflineStoreException {
    if (in.isActive()) {
      try {
        in.cancelCopy();
      } catch (SQLException e) {
        throw new OfflineStoreException(e);
      }
    }
  }
}
