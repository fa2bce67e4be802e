package io.freshet.gateway.online;

import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.util.Objects;

/**
 * One entity's latest row of one view as read from the online table.
 *
 * @param plan the view version the row was read with; {@code row.values()[i]} belongs to {@code
 *     plan.parts().get(i)}
 * @param row the decoded row; its entity key is the caller's, unencoded
 * @param status whether the row is within the view's TTL
 */
public record OnlineFeatures(ViewPlan plan, FeatureRow row, FeatureStatus status) {
  public OnlineFeatures {
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(row, "row");
    Objects.requireNonNull(status, "status");
  }
}
