package io.freshet.bench;

import io.freshet.dsl.FeatureType;
import io.freshet.offline.OfflineTable;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Feast's Postgres offline store point-in-time join, written for the {@code user_activity} offline
 * table from Feast's published design (feast-dev/feast, {@code
 * sdk/python/feast/infra/offline_stores/contrib/postgres_offline_store/postgres.py}, the {@code
 * MULTIPLE_FEATURE_VIEW_POINT_IN_TIME_JOIN} template, itself kept in sync with the Redshift one):
 *
 * <ol>
 *   <li>the entity dataframe (the labels) is uploaded as a table ({@code _upload_entity_df}: a
 *       plain table, not analyzed), and given an {@code entity_row_unique_id} = entity key text ||
 *       label time text;
 *   <li>{@code __entity_dataframe}: the distinct (entity, time, unique id);
 *   <li>{@code __subquery}: the view's source rows between the earliest label time minus the TTL
 *       and the latest label time;
 *   <li>{@code __base}: a range join of those rows to the labels on the entity key, the event
 *       timestamp not after the label time and within the TTL before it;
 *   <li>{@code __dedup} (the view has a created timestamp column): the greatest created timestamp
 *       per (unique id, event timestamp);
 *   <li>{@code __latest}: {@code ROW_NUMBER() OVER (PARTITION BY unique id ORDER BY event_timestamp
 *       DESC, created_timestamp DESC) = 1};
 *   <li>{@code __cleaned}: {@code __base} joined back to {@code __latest};
 *   <li>the labels {@code LEFT JOIN} the cleaned rows on the unique id.
 * </ol>
 *
 * <p>To answer the question Freshet answers, the source is the offline table's current versions
 * ({@code superseded_at IS NULL}: what a build reads at the latest stable as-of time when no row
 * was committed after it), {@code feature_ts} is the timestamp field and {@code committed_at} the
 * created timestamp, and the two time bounds carry Freshet's availability delay and TTL exactly: a
 * row at {@code F} is usable by a label at {@code L} iff {@code F <= L - delay} and {@code F > L -
 * ttl} (Feast's own template uses {@code F <= L} and {@code F >= L - ttl}). Everything else — the
 * CTEs, the grouping, the window function and the joins — is the template's.
 *
 * <p>The client streams the result (fetch size 10,000; Feast's {@code fetchall()} holds it all) and
 * hands every row to a consumer.
 */
final class FeastPointInTime {
  private FeastPointInTime() {}

  /** Receives each result row: the label id and the feature values as Postgres text. */
  interface RowSink {
    void accept(int labelId, String[] values);
  }

  /** What one run did. */
  record Result(long rows, double seconds, double uploadSeconds) {}

  static String labelTable() {
    return "feast_entity_df_" + UUID.randomUUID().toString().replace("-", "");
  }

  /**
   * The query, for the label table {@code labels} (columns label_id, user_id, event_timestamp,
   * target) and the view's delay and TTL in microseconds.
   */
  static String query(ViewPlan plan, String labels, long delayMicros, long ttlMicros) {
    OfflineTable table = OfflineTable.of(plan);
    String v = plan.name();
    String uid = "\"" + v + "__entity_row_unique_id\"";
    String delay = "interval '" + delayMicros + " microseconds'";
    String ttl = "interval '" + ttlMicros + " microseconds'";
    StringBuilder features = new StringBuilder();
    StringBuilder featureNames = new StringBuilder();
    for (FeaturePart p : plan.parts()) {
      features.append(", \"").append(p.name()).append("\" AS \"").append(p.name()).append('"');
      featureNames.append(", \"").append(p.name()).append('"');
    }
    String vq = "\"" + v + "__";
    return "WITH entity_dataframe AS (\n"
        + "  SELECT *, event_timestamp AS entity_timestamp,\n"
        + "    (CAST(\"user_id\" AS VARCHAR) || CAST(\"event_timestamp\" AS VARCHAR)) AS "
        + uid
        + "\n  FROM "
        + labels
        + "\n),\n"
        + vq
        + "entity_dataframe\" AS (\n"
        + "  SELECT \"user_id\", entity_timestamp, "
        + uid
        + " FROM entity_dataframe\n"
        + "  GROUP BY \"user_id\", entity_timestamp, "
        + uid
        + "\n),\n"
        + vq
        + "subquery\" AS (\n"
        + "  SELECT feature_ts AS event_timestamp, committed_at AS created_timestamp,"
        + " entity_key AS \"user_id\""
        + features
        + "\n  FROM ("
        + table.currentRowsQuery()
        + ") AS sub\n"
        + "  WHERE feature_ts <= (SELECT MAX(entity_timestamp) FROM entity_dataframe) - "
        + delay
        + "\n    AND feature_ts > (SELECT MIN(entity_timestamp) FROM entity_dataframe) - "
        + ttl
        + "\n),\n"
        + vq
        + "base\" AS (\n"
        + "  SELECT subquery.*, entity_dataframe.entity_timestamp, entity_dataframe."
        + uid
        + "\n  FROM "
        + vq
        + "subquery\" AS subquery\n"
        + "  INNER JOIN "
        + vq
        + "entity_dataframe\" AS entity_dataframe\n"
        + "  ON TRUE\n"
        + "    AND subquery.event_timestamp <= entity_dataframe.entity_timestamp - "
        + delay
        + "\n    AND subquery.event_timestamp > entity_dataframe.entity_timestamp - "
        + ttl
        + "\n    AND subquery.\"user_id\" = entity_dataframe.\"user_id\"\n"
        + "),\n"
        + vq
        + "dedup\" AS (\n"
        + "  SELECT "
        + uid
        + ", event_timestamp, MAX(created_timestamp) AS created_timestamp\n"
        + "  FROM "
        + vq
        + "base\"\n  GROUP BY "
        + uid
        + ", event_timestamp\n),\n"
        + vq
        + "latest\" AS (\n"
        + "  SELECT event_timestamp, created_timestamp, "
        + uid
        + "\n  FROM (\n    SELECT *, ROW_NUMBER() OVER (PARTITION BY "
        + uid
        + " ORDER BY event_timestamp DESC, created_timestamp DESC) AS row_number\n    FROM "
        + vq
        + "base\"\n    INNER JOIN "
        + vq
        + "dedup\" USING ("
        + uid
        + ", event_timestamp, created_timestamp)\n  ) AS sub\n  WHERE row_number = 1\n),\n"
        + vq
        + "cleaned\" AS (\n"
        + "  SELECT base.* FROM "
        + vq
        + "base\" AS base\n  INNER JOIN "
        + vq
        + "latest\" USING ("
        + uid
        + ", event_timestamp, created_timestamp)\n)\n"
        + "SELECT \"label_id\", \"user_id\", \"event_timestamp\", \"target\""
        + featureNames
        + "\nFROM entity_dataframe\nLEFT JOIN (\n  SELECT "
        + uid
        + featureNames
        + " FROM "
        + vq
        + "cleaned\"\n) AS \""
        + v
        + "\" USING ("
        + uid
        + ")";
  }

  /** Uploads the labels as Feast does: a new table, filled (here through COPY, the fastest way). */
  static void upload(Connection c, String name, TrainingData.Labels labels) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE "
              + name
              + " (label_id bigint, user_id text, event_timestamp timestamptz, target bigint)");
    }
    CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + name + " FROM STDIN");
    try {
      StringBuilder sb = new StringBuilder(1 << 20);
      for (int i = 0; i < labels.size(); i++) {
        sb.append(i).append('\t').append(TrainingData.userId(labels.users()[i])).append('\t');
        long ms = labels.millis()[i];
        sb.append(java.time.Instant.ofEpochMilli(ms).toString()).append('\t');
        sb.append(labels.targets()[i]).append('\n');
        if (sb.length() >= 1 << 20) {
          byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
          in.writeToCopy(b, 0, b.length);
          sb.setLength(0);
        }
      }
      byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
      in.writeToCopy(b, 0, b.length);
      in.endCopy();
    } finally {
      if (in.isActive()) {
        in.cancelCopy();
      }
    }
  }

  /**
   * Uploads the labels, runs the join, streams every row to {@code sink}, and drops the label
   * table; {@code workMem} sets the session's work_mem when not null (Feast sets none).
   */
  static Result run(
      String url,
      ViewPlan plan,
      TrainingData.Labels labels,
      long delayMicros,
      long ttlMicros,
      String workMem,
      RowSink sink)
      throws SQLException {
    String name = labelTable();
    int n = plan.parts().size();
    long start = System.nanoTime();
    try (Connection c = DriverManager.getConnection(url)) {
      try (Statement s = c.createStatement()) {
        s.execute("SET TimeZone = 'UTC'; SET extra_float_digits = 1");
        if (workMem != null) {
          s.execute("SET work_mem = '" + workMem + "'");
        }
      }
      try {
        upload(c, name, labels);
        double upload = (System.nanoTime() - start) / 1e9;
        c.setAutoCommit(false);
        long rows = 0;
        try (Statement s = c.createStatement()) {
          s.setFetchSize(10_000);
          try (ResultSet rs = s.executeQuery(query(plan, name, delayMicros, ttlMicros))) {
            while (rs.next()) {
              String[] values = new String[n];
              for (int i = 0; i < n; i++) {
                values[i] = rs.getString(5 + i);
              }
              sink.accept((int) rs.getLong(1), values);
              rows++;
            }
          }
        }
        c.commit();
        c.setAutoCommit(true);
        return new Result(rows, (System.nanoTime() - start) / 1e9, upload);
      } finally {
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          s.execute("DROP TABLE IF EXISTS " + name);
        }
      }
    }
  }

  /** EXPLAIN of the join over an uploaded copy of the labels (not executed). */
  static List<String> explain(
      String url,
      ViewPlan plan,
      TrainingData.Labels labels,
      long delayMicros,
      long ttlMicros,
      String workMem)
      throws SQLException {
    String name = labelTable();
    List<String> lines = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url)) {
      try (Statement s = c.createStatement()) {
        s.execute("SET TimeZone = 'UTC'");
        if (workMem != null) {
          s.execute("SET work_mem = '" + workMem + "'");
        }
      }
      try {
        upload(c, name, labels);
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("EXPLAIN " + query(plan, name, delayMicros, ttlMicros))) {
          while (rs.next()) {
            lines.add(rs.getString(1));
          }
        }
      } finally {
        try (Statement s = c.createStatement()) {
          s.execute("DROP TABLE IF EXISTS " + name);
        }
      }
    }
    return lines;
  }

  /** Whether a feature type's text is compared as a number. */
  static boolean numeric(FeatureType t) {
    return t == FeatureType.INT64 || t == FeatureType.FLOAT64;
  }
}
