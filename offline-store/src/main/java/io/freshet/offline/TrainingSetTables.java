package io.freshet.offline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Statements on the manifests of training sets, {@code freshet.training_sets} and {@code
 * freshet.training_set_views} (layout in the migration {@code V2__training_sets.sql} of {@link
 * FreshetSchema}), and their rows typed: {@link SetRow} and {@link ViewRow}, written by {@link
 * #insert} and read by {@link #load} in a {@link TrainingSession}. Parameters are bound in the
 * order the column lists give.
 */
public final class TrainingSetTables {
  /** Records a set: id, created_at, as_of, label_source, ..., format_version. */
  public static final String INSERT_SET =
      "INSERT INTO freshet.training_sets (id, created_at, as_of, label_source, label_sha256,"
          + " timestamp_column, feature_service, features, feature_columns,"
          + " full_feature_names, output, output_sha256, row_count, format_version, semantics)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** Records one view a set read: training_set_id, position, view_name, ..., delay. */
  public static final String INSERT_VIEW =
      "INSERT INTO freshet.training_set_views (training_set_id, position, view_name,"
          + " version_tag, fingerprint, key_columns, ttl_micros, availability_delay_micros,"
          + " first_served_at, labels_before_first_served)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** The views of set {@code ?}, in their order. */
  public static final String SELECT_VIEWS =
      "SELECT view_name, version_tag, fingerprint, key_columns, ttl_micros,"
          + " availability_delay_micros, first_served_at, labels_before_first_served"
          + " FROM freshet.training_set_views"
          + " WHERE training_set_id = ? ORDER BY position";

  /** Set {@code ?}, without its views. */
  public static final String SELECT_SET =
      "SELECT created_at, as_of, label_source, label_sha256, timestamp_column,"
          + " feature_service, features, feature_columns, full_feature_names, output,"
          + " output_sha256, row_count, format_version, semantics"
          + " FROM freshet.training_sets WHERE id = ?";

  /** Removes set {@code ?} and, by cascade, its views. */
  public static final String DELETE_SET = "DELETE FROM freshet.training_sets WHERE id = ?";

  private TrainingSetTables() {}

  /**
   * A row of {@code freshet.training_sets}; lists are {@code text[]}, the label source and output
   * as their owners describe them; {@code semantics} is {@code final} or {@code as-served}
   * (migration V5).
   */
  public record SetRow(
      UUID id,
      Instant createdAt,
      Instant asOf,
      String labelSource,
      String labelSha256,
      String timestampColumn,
      String featureService,
      List<String> features,
      List<String> featureColumns,
      boolean fullFeatureNames,
      String output,
      String outputSha256,
      long rowCount,
      int formatVersion,
      String semantics) {}

  /**
   * A row of {@code freshet.training_set_views}, without the set's id and its position. {@code
   * firstServedAt} is the first instant a request-time view version was served online (null when
   * never, or for a window-end view), {@code labelsBeforeFirstServed} how many labels lay before it
   * (migration V5).
   */
  public record ViewRow(
      String view,
      String versionTag,
      String fingerprint,
      List<String> keyColumns,
      long ttlMicros,
      long availabilityDelayMicros,
      Instant firstServedAt,
      long labelsBeforeFirstServed) {}

  /** Records set {@code set} and its views, in their order, in the session's transaction. */
  public static void insert(TrainingSession s, SetRow set, List<ViewRow> views)
      throws OfflineStoreException {
    Connection c = s.connection();
    try {
      try (PreparedStatement ps = c.prepareStatement(INSERT_SET)) {
        ps.setObject(1, set.id());
        ps.setObject(2, set.createdAt().atOffset(ZoneOffset.UTC));
        ps.setObject(3, set.asOf().atOffset(ZoneOffset.UTC));
        ps.setString(4, set.labelSource());
        ps.setString(5, set.labelSha256());
        ps.setString(6, set.timestampColumn());
        ps.setString(7, set.featureService());
        ps.setArray(8, c.createArrayOf("text", set.features().toArray()));
        ps.setArray(9, c.createArrayOf("text", set.featureColumns().toArray()));
        ps.setBoolean(10, set.fullFeatureNames());
        ps.setString(11, set.output());
        ps.setString(12, set.outputSha256());
        ps.setLong(13, set.rowCount());
        ps.setInt(14, set.formatVersion());
        ps.setString(15, set.semantics());
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(INSERT_VIEW)) {
        int position = 0;
        for (ViewRow v : views) {
          ps.setObject(1, set.id());
          ps.setInt(2, position++);
          ps.setString(3, v.view());
          ps.setString(4, v.versionTag());
          ps.setString(5, v.fingerprint());
          ps.setArray(6, c.createArrayOf("text", v.keyColumns().toArray()));
          ps.setLong(7, v.ttlMicros());
          ps.setLong(8, v.availabilityDelayMicros());
          ps.setObject(
              9, v.firstServedAt() == null ? null : v.firstServedAt().atOffset(ZoneOffset.UTC));
          ps.setLong(10, v.labelsBeforeFirstServed());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  /** A recorded set with its views in their order. */
  public record Recorded(SetRow set, List<ViewRow> views) {}

  /** Set {@code id} with its views, if it is recorded. */
  public static Optional<Recorded> load(TrainingSession s, UUID id) throws OfflineStoreException {
    Connection c = s.connection();
    try {
      List<ViewRow> views = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(SELECT_VIEWS)) {
        ps.setObject(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            views.add(
                new ViewRow(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getString(3),
                    ListValues.read(rs.getArray(4)),
                    rs.getLong(5),
                    rs.getLong(6),
                    instant(rs.getObject(7, OffsetDateTime.class)),
                    rs.getLong(8)));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement(SELECT_SET)) {
        ps.setObject(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          return Optional.of(
              new Recorded(
                  new SetRow(
                      id,
                      rs.getObject(1, OffsetDateTime.class).toInstant(),
                      rs.getObject(2, OffsetDateTime.class).toInstant(),
                      rs.getString(3),
                      rs.getString(4),
                      rs.getString(5),
                      rs.getString(6),
                      ListValues.read(rs.getArray(7)),
                      ListValues.read(rs.getArray(8)),
                      rs.getBoolean(9),
                      rs.getString(10),
                      rs.getString(11),
                      rs.getLong(12),
                      rs.getInt(13),
                      rs.getString(14)),
                  List.copyOf(views)));
        }
      }
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }

  private static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }

  /** Removes set {@code id} and its views (auto-commit, or in the session's transaction). */
  public static void delete(TrainingSession s, UUID id) throws OfflineStoreException {
    try (PreparedStatement ps = s.connection().prepareStatement(DELETE_SET)) {
      ps.setObject(1, id);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new OfflineStoreException(e);
    }
  }
}
