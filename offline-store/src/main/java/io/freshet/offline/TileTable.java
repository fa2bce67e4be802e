package io.freshet.offline;

import io.freshet.plan.ViewPlan;

/**
 * The tile history of a request-time view version: every committed version of every entity's tiles,
 * with the instant the online store could first serve it.
 */
public final class TileTable {
  private final ViewPlan plan;
  private final String tableName;

  private TileTable(ViewPlan plan) {
    this.plan = plan;
    this.tableName = plan.name() + "__" + plan.versionTag() + "__tiles";
  }

  /** The tile table of a request-time view version. */
  public static TileTable of(ViewPlan plan) {
    if (!plan.requestTime()) {
      throw new IllegalArgumentException(
          "view '" + plan.name() + "' is served at window ends; it has no tile table");
    }
    return new TileTable(plan);
  }

  public ViewPlan plan() {
    return plan;
  }

  /** The unqualified table name, e.g. {@code user_activity_live__1a2b3c4d5e__tiles}. */
  public String tableName() {
    return tableName;
  }

  /** The schema-qualified, quoted name. */
  public String qualifiedName() {
    return OfflineTable.SCHEMA + ".\"" + tableName + "\"";
  }
}
