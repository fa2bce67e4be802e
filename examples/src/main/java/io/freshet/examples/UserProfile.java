package io.freshet.examples;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.PostgresTableSource;

/**
 * The example table-sourced view: each user's country and signup instant, from the Postgres table
 * {@code freshet_examples.user_profile} (which {@code freshet demo} creates and fills), loaded by
 * {@code freshet materialize --view user_profile}.
 *
 * <pre>
 * freshet_examples.user_profile
 *   user_id     text primary key
 *   country     text
 *   signup_ts   timestamptz
 *   updated_at  timestamptz   -- set to now() by every update: the row's feature_ts
 * </pre>
 *
 * <p>No TTL in practice ({@link PostgresTableSource#DEFAULT_TTL}) and no availability delay: a
 * profile row is servable as soon as it is materialized, and a training label at {@code t} sees the
 * row with the greatest {@code updated_at <= t}.
 */
public final class UserProfile {
  /** The table behind the view. */
  public static final String TABLE = "freshet_examples.user_profile";

  /** The view's name. */
  public static final String VIEW = "user_profile";

  private UserProfile() {}

  /**
   * The view {@code user_profile}: {@code country} (STRING), {@code signup_ts} (INT64 epoch ms).
   */
  public static FeatureView view() {
    return FeatureView.named("user_profile")
        .source(PostgresTableSource.table(TABLE).keyedBy("user_id").timestampColumn("updated_at"))
        .feature(Feature.named("country").column("country", FeatureType.STRING))
        .feature(Feature.named("signup_ts").column("signup_ts", FeatureType.INT64))
        .build();
  }

  /** The DDL of the table, idempotent. */
  public static String createTableSql() {
    return "CREATE SCHEMA IF NOT EXISTS freshet_examples;"
        + " CREATE TABLE IF NOT EXISTS "
        + TABLE
        + " (user_id text PRIMARY KEY, country text, signup_ts timestamptz,"
        + " updated_at timestamptz NOT NULL DEFAULT now())";
  }
}
