package io.freshet.offline;

import java.sql.Connection;
import java.sql.SQLException;

/** One transaction on a connection that may be in auto-commit mode. */
final class Transactions {
  private Transactions() {}

  /** Work done inside the transaction. */
  interface Work<T> {
    T run() throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction on {@code c}: committed when it returns, rolled back when
   * it throws; {@code c}'s auto-commit mode is restored either way.
   */
  static <T> T inTransaction(Connection c, Work<T> work) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      T result = work.run();
      c.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }
}
