package io.freshet.training;

import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.training.TrainingSetManifest.ViewVersion;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Manifests in Postgres: {@code freshet.training_sets} and {@code freshet.training_set_views}, made
 * by this module's own migrations ({@code db/migration/training}, history in {@code
 * freshet.training_schema_history}) so they never mix with the registry's.
 */
final class ManifestStore {
  static final String SCHEMA = "freshet";
  static final String HISTORY_TABLE = "training_schema_history";

  private ManifestStore() {}

  /** Brings the manifest tables up to date. */
  static void migrate(String jdbcUrl) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(jdbcUrl);
    try {
      Flyway.configure(ManifestStore.class.getClassLoader())
          .dataSource(ds)
          .schemas(SCHEMA)
          .defaultSchema(SCHEMA)
          .table(HISTORY_TABLE)
          .locations("classpath:db/migration/training")
          // the registry's tables and the offline tables may already live in the schema
          .baselineOnMigrate(true)
          .baselineVersion("0")
          .cleanDisabled(true)
          .load()
          .migrate();
    } catch (FlywayException e) {
      throw new TrainingSetException(
          "could not bring the training-set manifest tables up to date: " + e.getMessage(), e);
    }
  }

  static void insert(Connection c, TrainingSetManifest m) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO freshet.training_sets (id, created_at, as_of, label_source, label_sha256,"
                + " timestamp_column, feature_service, features, feature_columns,"
                + " full_feature_names, output, output_sha256, row_count, format_version)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setObject(1, m.id());
      ps.setObject(2, m.createdAt().atOffset(ZoneOffset.UTC));
      ps.setObject(3, m.asOf().atOffset(ZoneOffset.UTC));
      ps.setString(4, m.labels().describe());
      ps.setString(5, m.labelSha256());
      ps.setString(6, m.timestampColumn());
      ps.setString(7, m.featureService());
      ps.setArray(
          8, c.createArrayOf("text", m.features().stream().map(FeatureRef::toString).toArray()));
      ps.setArray(9, c.createArrayOf("text", m.featureColumns().toArray()));
      ps.setBoolean(10, m.fullFeatureNames());
      ps.setString(11, m.output().describe());
      ps.setString(12, m.outputSha256());
      ps.setLong(13, m.rowCount());
      ps.setInt(14, m.formatVersion());
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO freshet.training_set_views (training_set_id, position, view_name,"
                + " version_tag, fingerprint, key_columns, ttl_micros, availability_delay_micros)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      int position = 0;
      for (ViewVersion v : m.views()) {
        ps.setObject(1, m.id());
        ps.setInt(2, position++);
        ps.setString(3, v.view());
        ps.setString(4, v.versionTag());
        ps.setString(5, v.fingerprint());
        ps.setArray(6, c.createArrayOf("text", v.keyColumns().toArray()));
        ps.setLong(7, LabelTime.ceilMicros(v.ttl()));
        ps.setLong(8, LabelTime.ceilMicros(v.availabilityDelay()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  static Optional<TrainingSetManifest> load(Connection c, UUID id) throws SQLException {
    List<ViewVersion> views = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT view_name, version_tag, fingerprint, key_columns, ttl_micros,"
                + " availability_delay_micros FROM freshet.training_set_views"
                + " WHERE training_set_id = ? ORDER BY position")) {
      ps.setObject(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          views.add(
              new ViewVersion(
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  strings(rs, 4),
                  Duration.of(rs.getLong(5), ChronoUnit.MICROS),
                  Duration.of(rs.getLong(6), ChronoUnit.MICROS)));
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT created_at, as_of, label_source, label_sha256, timestamp_column,"
                + " feature_service, features, feature_columns, full_feature_names, output,"
                + " output_sha256, row_count, format_version"
                + " FROM freshet.training_sets WHERE id = ?")) {
      ps.setObject(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new TrainingSetManifest(
                id,
                rs.getObject(1, OffsetDateTime.class).toInstant(),
                rs.getObject(2, OffsetDateTime.class).toInstant(),
                LabelSource.parse(rs.getString(3)),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                strings(rs, 7).stream().map(FeatureRef::parse).toList(),
                strings(rs, 8),
                rs.getBoolean(9),
                views,
                TrainingSetOutput.parse(rs.getString(10)),
                rs.getString(11),
                rs.getLong(12),
                rs.getInt(13)));
      }
    }
  }

  private static List<String> strings(ResultSet rs, int column) throws SQLException {
    return Arrays.asList((String[]) rs.getArray(column).getArray());
  }
}
