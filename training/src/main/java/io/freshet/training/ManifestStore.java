package io.freshet.training;

import io.freshet.dsl.FeatureService.FeatureRef;
import io.freshet.offline.FreshetSchema;
import io.freshet.offline.ListValues;
import io.freshet.offline.TrainingSetTables;
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
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Manifests in Postgres: {@code freshet.training_sets} and {@code freshet.training_set_views}, made
 * by the migrations of schema {@code freshet} ({@link FreshetSchema}); statements in {@link
 * TrainingSetTables}.
 */
final class ManifestStore {
  private ManifestStore() {}

  /** Brings the manifest tables up to date. */
  static void migrate(String jdbcUrl) {
    try {
      FreshetSchema.migrate(jdbcUrl, Sessions.APPLICATION_NAME);
    } catch (SQLException | IllegalArgumentException e) {
      throw new TrainingSetException(
          "could not bring the training-set manifest tables up to date: " + e.getMessage(), e);
    }
  }

  static void insert(Connection c, TrainingSetManifest m) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(TrainingSetTables.INSERT_SET)) {
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
    try (PreparedStatement ps = c.prepareStatement(TrainingSetTables.INSERT_VIEW)) {
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
    try (PreparedStatement ps = c.prepareStatement(TrainingSetTables.SELECT_VIEWS)) {
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
    try (PreparedStatement ps = c.prepareStatement(TrainingSetTables.SELECT_SET)) {
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
    return ListValues.read(rs.getArray(column));
  }
}
