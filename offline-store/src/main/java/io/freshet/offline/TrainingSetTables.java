package io.freshet.offline;

/**
 * Statements on the manifests of training sets, {@code freshet.training_sets} and {@code
 * freshet.training_set_views} (layout in the migration {@code V2__training_sets.sql} of {@link
 * FreshetSchema}). The training-set builder binds their parameters, in the order the column lists
 * give.
 */
public final class TrainingSetTables {
  /** Records a set: id, created_at, as_of, label_source, ..., format_version. */
  public static final String INSERT_SET =
      "INSERT INTO freshet.training_sets (id, created_at, as_of, label_source, label_sha256,"
          + " timestamp_column, feature_service, features, feature_columns,"
          + " full_feature_names, output, output_sha256, row_count, format_version)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /** Records one view a set read: training_set_id, position, view_name, ..., delay. */
  public static final String INSERT_VIEW =
      "INSERT INTO freshet.training_set_views (training_set_id, position, view_name,"
          + " version_tag, fingerprint, key_columns, ttl_micros, availability_delay_micros)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

  /** The views of set {@code ?}, in their order. */
  public static final String SELECT_VIEWS =
      "SELECT view_name, version_tag, fingerprint, key_columns, ttl_micros,"
          + " availability_delay_micros FROM freshet.training_set_views"
          + " WHERE training_set_id = ? ORDER BY position";

  /** Set {@code ?}, without its views. */
  public static final String SELECT_SET =
      "SELECT created_at, as_of, label_source, label_sha256, timestamp_column,"
          + " feature_service, features, feature_columns, full_feature_names, output,"
          + " output_sha256, row_count, format_version"
          + " FROM freshet.training_sets WHERE id = ?";

  /** Removes set {@code ?} and, by cascade, its views. */
  public static final String DELETE_SET = "DELETE FROM freshet.training_sets WHERE id = ?";

  private TrainingSetTables() {}
}
