package io.freshet.storage;

import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.util.List;

/**
 * The offline table of one view version: its Postgres name, columns and statements, derived from
 * the plan and nowhere else.
 *
 * <pre>
 * freshet.{view}__{versionTag}
 *   entity_key   text         not null   -- the entity key (parts joined, see EntityKey)
 *   feature_ts   timestamptz  not null   -- the window end
 *   {part}...    typed per part          -- in plan order
 *   committed_at timestamptz  not null   -- when the row was written
 *   primary key (entity_key, feature_ts)
 * </pre>
 */
public final class OfflineTable {
  /** The schema that holds every offline table. */
  public static final String SCHEMA = "freshet";

  private final ViewPlan plan;
  private final String tableName;

  private OfflineTable(ViewPlan plan) {
    this.plan = plan;
    this.tableName = plan.name() + "__" + plan.versionTag();
  }

  public static OfflineTable of(ViewPlan plan) {
    return new OfflineTable(plan);
  }

  public ViewPlan plan() {
    return plan;
  }

  /** The unqualified table name, e.g. {@code user_activity__1a2b3c4d5e}. */
  public String tableName() {
    return tableName;
  }

  /** The schema-qualified, quoted name. */
  public String qualifiedName() {
    return SCHEMA + ".\"" + tableName + "\"";
  }

  /** The feature columns in plan order. */
  public List<String> featureColumns() {
    return plan.parts().stream().map(FeaturePart::name).toList();
  }

  /** Statements that create the schema and the table if they do not exist. */
  public List<String> createStatements() {
    StringBuilder sb = new StringBuilder();
    sb.append("CREATE TABLE IF NOT EXISTS ").append(qualifiedName()).append(" (\n");
    sb.append("  entity_key text NOT NULL,\n");
    sb.append("  feature_ts timestamptz NOT NULL,\n");
    for (FeaturePart p : plan.parts()) {
      sb.append("  \"").append(p.name()).append("\" ").append(p.type().postgresType());
      sb.append(",\n");
    }
    sb.append("  committed_at timestamptz NOT NULL DEFAULT now(),\n");
    sb.append("  PRIMARY KEY (entity_key, feature_ts)\n)");
    return List.of("CREATE SCHEMA IF NOT EXISTS " + SCHEMA, sb.toString());
  }

  /**
   * An idempotent upsert of one row. Parameters: entity_key, feature_ts (timestamptz), then one per
   * part in plan order.
   */
  public String upsertStatement() {
    StringBuilder cols = new StringBuilder("entity_key, feature_ts");
    StringBuilder params = new StringBuilder("?, ?");
    StringBuilder updates = new StringBuilder();
    for (FeaturePart p : plan.parts()) {
      cols.append(", \"").append(p.name()).append('"');
      params.append(", ?");
      updates.append('"').append(p.name()).append("\" = EXCLUDED.\"").append(p.name());
      updates.append("\", ");
    }
    return "INSERT INTO "
        + qualifiedName()
        + " ("
        + cols
        + ", committed_at) VALUES ("
        + params
        + ", now()) ON CONFLICT (entity_key, feature_ts) DO UPDATE SET "
        + updates
        + "committed_at = now()";
  }
}
