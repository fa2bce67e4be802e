package io.freshet.training;

import io.freshet.offline.OfflineTable;
import io.freshet.offline.TileTable;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import java.util.List;

/**
 * A view as a build uses it: TTL and delay in whole microseconds. A window-end view is read from
 * its offline table, a request-time view from its tile table.
 */
record ViewUse(ViewPlan plan, List<String> keyColumns, Duration ttl, Duration delay) {
  OfflineTable table() {
    return OfflineTable.of(plan);
  }

  TileTable tileTable() {
    return TileTable.of(plan);
  }

  /** The schema-qualified name of the table the view is read from. */
  String tableName() {
    return plan.requestTime() ? tileTable().qualifiedName() : table().qualifiedName();
  }
}
