package io.freshet.flink.sink.offline;

import io.freshet.flink.sink.Backoff;
import io.freshet.flink.sink.ExactlyOnceRowSink;
import io.freshet.flink.sink.RowCommittable;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.PostgresSessions;
import io.freshet.online.OnlineClients;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.StoreUrls;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;

/**
 * Writes a view's rows exactly once to its offline table in Postgres, keeping history (layout in
 * {@link OfflineTable}, statements and commit markers in the offline store).
 *
 * <p>When a checkpoint completes, each subtask's committer writes that checkpoint's rows in one
 * transaction: first the commit marker ({@code freshet.sink_commits}), then, batch after batch, a
 * statement that adds new rows and closes the current versions the batch changes and one that adds
 * their new versions, then COMMIT. A replayed committable finds its marker and is skipped; a
 * transaction cut off midway leaves nothing behind and is done again whole. No XA, no prepared
 * transactions.
 *
 * <p>{@link #servingOnline} makes it the one sink of a window-end view's rows: each commit writes
 * every entity's newest row of the committable to the Redis online table first and then the rows
 * offline with the instants the online table serves them from ({@code visible_at}); see {@link
 * PostgresOfflineCommitter}.
 *
 * <p>What Postgres needs: no settings beyond the defaults ({@code max_prepared_transactions} may
 * stay 0). Each committer subtask holds one connection for the life of the job. The role needs
 * {@code CREATE} on the database, or the schema {@code freshet} and the tables created in advance;
 * then {@code SELECT, INSERT, UPDATE} on the offline tables and {@code SELECT, INSERT, DELETE} on
 * {@code freshet.sink_commits}, and, until the commit markers exist, the rights to migrate schema
 * {@code freshet} ({@link io.freshet.offline.FreshetSchema}). A {@code statement_timeout}, if set,
 * must allow one batch statement.
 *
 * <p>The JDBC URL is used as given; unless it says otherwise, sessions are named {@value
 * OfflineTable#WRITER_APPLICATION_NAME} and use a 10 s connect timeout, a 5 min socket timeout and
 * TCP keep-alive.
 */
public final class PostgresOfflineSink extends ExactlyOnceRowSink {
  private static final long serialVersionUID = 1L;

  /** Rows per batch statement inside a commit. */
  public static final int DEFAULT_ROWS_PER_STATEMENT = 2_000;

  /** Rows per online script call, when the sink serves its rows online too. */
  public static final int DEFAULT_ROWS_PER_SCRIPT = 100;

  /** How long commit markers are kept. */
  public static final Duration DEFAULT_MARKER_RETENTION = Duration.ofDays(7);

  private final String jdbcUrl;
  private final int rowsPerStatement;
  private final Backoff backoff;
  private final Duration markerRetention;
  private final String redisUri;
  private final int rowsPerScript;

  private PostgresOfflineSink(
      ViewPlan plan,
      String jdbcUrl,
      int rowsPerStatement,
      Backoff backoff,
      Duration retention,
      String redisUri,
      int rowsPerScript) {
    super(plan, Keep.LAST_PER_WINDOW);
    this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "offline sink of "
              + plan.name()
              + " needs a Postgres JDBC URL (jdbc:postgresql://host:5432/db?user=...), got '"
              + PostgresSessions.safe(jdbcUrl)
              + "'");
    }
    if (rowsPerStatement < 1) {
      throw new IllegalArgumentException(
          "rows per statement must be at least 1, got " + rowsPerStatement + " (e.g. 2000)");
    }
    if (retention.toSeconds() < 1) {
      throw new IllegalArgumentException(
          "commit marker retention must be at least 1 s, got " + retention + " (e.g. P7D)");
    }
    this.rowsPerStatement = rowsPerStatement;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.markerRetention = retention;
    if (redisUri != null) {
      try {
        OnlineClients.requireValid(redisUri);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "row sink of "
                + plan.name()
                + " needs a Redis URI (redis://host:6379/0), got '"
                + StoreUrls.redact(redisUri)
                + "': "
                + e.getMessage()
                + " (a Redis Cluster: redis-cluster://host1:6379,host2:6379)",
            e);
      }
    }
    if (rowsPerScript < 1) {
      throw new IllegalArgumentException(
          "rows per script call must be at least 1, got " + rowsPerScript + " (e.g. 100)");
    }
    this.redisUri = redisUri;
    this.rowsPerScript = rowsPerScript;
  }

  /** A sink committing at checkpoints, with default batch size, retries and marker retention. */
  public static PostgresOfflineSink exactlyOnce(ViewPlan plan, String jdbcUrl) {
    return new PostgresOfflineSink(
        plan,
        jdbcUrl,
        DEFAULT_ROWS_PER_STATEMENT,
        Backoff.DEFAULT,
        DEFAULT_MARKER_RETENTION,
        null,
        DEFAULT_ROWS_PER_SCRIPT);
  }

  /**
   * The same sink, serving the rows online too: each commit writes every entity's newest row to the
   * online table at {@code redisUri} first ({@link io.freshet.online.NewestWinsScript}), then the
   * rows offline with the instants the online table serves them from ({@code visible_at}), so that
   * an as-served training set reproduces the gateway's answers to the microsecond. The online table
   * then needs no sink of its own. Needs Redis 6.2 or newer; the URI names one server ({@code
   * redis://host:6379/0}) or a Redis Cluster ({@code redis-cluster://host1:6379,host2:6379}).
   */
  public PostgresOfflineSink servingOnline(String redisUri) {
    return new PostgresOfflineSink(
        plan(),
        jdbcUrl,
        rowsPerStatement,
        backoff,
        markerRetention,
        Objects.requireNonNull(redisUri, "redisUri"),
        rowsPerScript);
  }

  /** The same sink with another number of rows per online script call. */
  public PostgresOfflineSink withRowsPerScript(int rows) {
    return new PostgresOfflineSink(
        plan(), jdbcUrl, rowsPerStatement, backoff, markerRetention, redisUri, rows);
  }

  /** Whether the sink serves its rows online too ({@link #servingOnline}). */
  public boolean servesOnline() {
    return redisUri != null;
  }

  /** The same sink with another batch size inside a commit. */
  public PostgresOfflineSink withRowsPerStatement(int rows) {
    return new PostgresOfflineSink(
        plan(), jdbcUrl, rows, backoff, markerRetention, redisUri, rowsPerScript);
  }

  /** The same sink with other retries of transient errors. */
  public PostgresOfflineSink withRetries(Backoff retries) {
    return new PostgresOfflineSink(
        plan(), jdbcUrl, rowsPerStatement, retries, markerRetention, redisUri, rowsPerScript);
  }

  /** The same sink keeping commit markers for another duration. */
  public PostgresOfflineSink withMarkerRetention(Duration retention) {
    return new PostgresOfflineSink(
        plan(), jdbcUrl, rowsPerStatement, backoff, retention, redisUri, rowsPerScript);
  }

  @Override
  public Committer<RowCommittable> createCommitter(CommitterInitContext context) {
    return new PostgresOfflineCommitter(
        OfflineTable.of(plan()),
        jdbcUrl,
        rowsPerStatement,
        backoff,
        markerRetention,
        redisUri,
        rowsPerScript);
  }
}
