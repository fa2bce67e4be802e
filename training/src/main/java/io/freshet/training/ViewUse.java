package io.freshet.training;

import io.freshet.offline.OfflineTable;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import java.util.List;

/** A view as a build uses it: TTL and delay in whole microseconds. */
record ViewUse(ViewPlan plan, List<String> keyColumns, Duration ttl, Duration delay) {
  OfflineTable table() {
    return OfflineTable.of(plan);
  }
}
