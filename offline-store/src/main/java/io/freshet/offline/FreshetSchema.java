package io.freshet.offline;

import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * Brings schema {@code freshet} up to date: the one Flyway history of every fixed table in it.
 * Whoever first needs a table calls {@link #migrate}: the registry and the training-set builder
 * when they open, the offline sink before its first commit and the rejected-events sink when it
 * starts, each of the two sinks only if its table is missing. Calling it again changes nothing.
 *
 * <p>Migrations ({@code db/migration/freshet}), history in {@code freshet.flyway_schema_history}:
 *
 * <pre>
 * V1 registry       applies, feature_views, feature_services
 * V2 training_sets  training_sets, training_set_views
 * V3 sink_commits   sink_commits, sink_commits__age    (see {@link SinkCommits})
 * V4 rejected_events rejected_events                   (see {@link RejectedEvents})
 * V5 training_semantics  semantics of training sets, first served instant per view
 * V6 table_loads         loads of table-sourced views by `freshet materialize`, their high-water marks
 * </pre>
 *
 * <p>The offline tables themselves ({@code freshet."{view}__{versionTag}"}) are not migrations:
 * their names and columns follow the views, and {@link OfflineTables} creates each one when a
 * writer first needs it.
 *
 * <p>Databases from before the one history. The registry kept its migrations in this same history
 * table, and V1 is byte for byte its old V1, so its checksum matches. The training-set builder had
 * a history of its own ({@code freshet.training_schema_history}, V1 its manifest tables), and the
 * sinks created {@code sink_commits} and {@code rejected_events} by hand. V2 to V4 therefore create
 * only what is missing ({@code IF NOT EXISTS}, and the index of {@code sink_commits} only when
 * {@code pg_class} lacks it, since {@code CREATE INDEX IF NOT EXISTS} would lock a table that
 * running sinks commit into): on such a database they take the existing tables and rows as they are
 * and only record themselves. A schema that holds tables but no history at all (a database where
 * the training builder or a sink came first) is baselined at version 0, then migrated the same way.
 * The old {@code training_schema_history} is left where it is; nothing reads it any more.
 *
 * <p>Concurrent callers are serialized by Flyway's own lock. Thread-safe.
 */
public final class FreshetSchema {
  /** The table, in schema {@code freshet}, that holds the history of the migrations. */
  public static final String HISTORY_TABLE = "flyway_schema_history";

  private static final String LOCATION = "classpath:db/migration/freshet";

  private FreshetSchema() {}

  /**
   * Applies every pending migration through connections of {@code dataSource}.
   *
   * @throws SQLException with SQLState 55000 and Flyway's message if the schema cannot be migrated
   */
  public static void migrate(DataSource dataSource) throws SQLException {
    try {
      Flyway.configure(FreshetSchema.class.getClassLoader())
          .dataSource(dataSource)
          .schemas(OfflineTable.SCHEMA)
          .defaultSchema(OfflineTable.SCHEMA)
          .table(HISTORY_TABLE)
          .locations(LOCATION)
          // the schema may hold offline tables, or tables an earlier history made
          .baselineOnMigrate(true)
          .baselineVersion("0")
          .cleanDisabled(true)
          .load()
          .migrate();
    } catch (FlywayException e) {
      throw new SQLException(e.getMessage(), "55000", e);
    }
  }

  /**
   * Applies every pending migration through sessions {@link PostgresSessions#open opened} on {@code
   * jdbcUrl}.
   *
   * @throws SQLException with SQLState 55000 and Flyway's message if the schema cannot be migrated
   */
  public static void migrate(String jdbcUrl, String applicationName) throws SQLException {
    migrate(PostgresSessions.dataSource(jdbcUrl, applicationName));
  }
}
