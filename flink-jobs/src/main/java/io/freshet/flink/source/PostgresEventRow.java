package io.freshet.flink.source;

/**
 * One row of a Postgres event table, as the backfill reads it: the row as a JSON object (column
 * name to value, SQL NULL left out) and a name of the row that is stable while the table is not
 * rewritten.
 */
public class PostgresEventRow {
  /** {@code postgres:<relation>@<row>}: where the row came from. */
  public String origin;

  /** The row as a JSON event, for the view's decoder. */
  public String json;

  public PostgresEventRow() {}

  public PostgresEventRow(String origin, String json) {
    this.origin = origin;
    this.json = json;
  }

  @Override
  public String toString() {
    return origin + " " + json;
  }
}
