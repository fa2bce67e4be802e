package io.freshet.flink.materialize;

import io.freshet.offline.FreshetSchema;
import io.freshet.offline.TableLoads;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One load of a table-sourced view into its offline history and online table: the rows whose
 * timestamp lies in {@code (from, to]}, exactly once.
 *
 * <p>{@code from} defaults to the view version's high-water mark ({@link TableLoads}), or the
 * beginning for its first load; {@code to} defaults to the database's clock when the load starts.
 * The load runs the job of {@link MaterializeCompiler} and, only once it finished, records {@code
 * (from, to]} as loaded, which moves the mark. So a load that fails (even after some of its rows
 * were committed) leaves the mark where it was and the next load covers its range again; the sink's
 * commits take rows they already hold as no change, so no version is written twice and none is
 * missed.
 *
 * <p>Incremental loads see a row again only when its timestamp moves past the mark: a row updated
 * in place must carry a newer timestamp. A row stamped at or before the mark but committed after
 * the load read (a writer's transaction that stamps early and commits late) is missed; load with an
 * explicit earlier {@code --from} to catch such rows, which is harmless for the others.
 */
public final class Materializer {
  /** What a load did. */
  public record Load(String view, Long from, long to, long rows) {}

  private Materializer() {}

  /**
   * Loads {@code plan}'s rows in {@code (from, to]} through a job on the environment {@code env}
   * supplies, and records the load.
   *
   * @param from the exclusive lower bound in epoch ms, or null for the high-water mark
   * @param to the inclusive upper bound in epoch ms, or null for now
   * @param redisUrl the online table, or null for the offline history only
   */
  public static Load run(
      ViewPlan plan,
      String pgUrl,
      String redisUrl,
      Long from,
      Long to,
      Supplier<StreamExecutionEnvironment> env)
      throws Exception {
    return run(plan, pgUrl, redisUrl, from, to, env, null);
  }

  /** As above, with {@code between} applied to the rows before the sink; tests inject faults. */
  public static Load run(
      ViewPlan plan,
      String pgUrl,
      String redisUrl,
      Long from,
      Long to,
      Supplier<StreamExecutionEnvironment> env,
      MapFunction<FeatureRow, FeatureRow> between)
      throws Exception {
    if (!plan.tableSourced()) {
      throw new IllegalArgumentException(
          "feature view '"
              + plan.name()
              + "' reads Kafka topic '"
              + plan.source().topic()
              + "', not a table: only table-sourced views are materialized (use backfill for"
              + " history from events)");
    }
    FreshetSchema.migrate(pgUrl, "freshet materialize");
    Instant started = Instant.now();
    Long lower;
    long upper;
    TableQuery query;
    long rows;
    try (Connection c = DriverManager.getConnection(pgUrl)) {
      if (from != null) {
        lower = from;
      } else {
        OptionalLong mark = TableLoads.highWaterMark(c, plan.name(), plan.versionTag());
        lower = mark.isPresent() ? mark.getAsLong() : null;
      }
      upper = to != null ? to : TableLoads.databaseNow(c);
      if (lower != null && lower >= upper) {
        throw new IllegalArgumentException(
            "view '"
                + plan.name()
                + "': nothing to load, the range starts at "
                + Instant.ofEpochMilli(lower)
                + ", not before its end "
                + Instant.ofEpochMilli(upper)
                + " (give --to after --from)");
      }
      query = TableQuery.of(c, plan, lower, upper);
      rows = query.count(c);
    }
    StreamExecutionEnvironment e = env.get();
    MaterializeCompiler.compile(e, plan, query, pgUrl, redisUrl, between);
    e.execute("freshet materialize " + plan.name());
    try (Connection c = DriverManager.getConnection(pgUrl)) {
      TableLoads.record(c, plan.name(), plan.versionTag(), lower, upper, rows, started);
    } catch (SQLException ex) {
      throw new SQLException(
          "view '"
              + plan.name()
              + "': the rows are loaded but the load could not be recorded ("
              + ex.getMessage()
              + "); the next load covers the range again, which is harmless",
          ex.getSQLState(),
          ex);
    }
    return new Load(plan.name(), lower, upper, rows);
  }
}
