package io.freshet.gateway.online;

import io.freshet.online.OnlineKeys;
import io.freshet.plan.ViewPlan;
import java.util.Objects;

/**
 * One entity's row of one view version: what one Redis key holds.
 *
 * @param plan the view version
 * @param entityKey the entity key as stored ({@link io.freshet.storage.EntityKey}), unencoded
 */
public record RowKey(ViewPlan plan, String entityKey) {
  public RowKey {
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(entityKey, "entityKey");
  }

  /** The Redis key, from the storage contract. */
  public String redisKey() {
    return OnlineKeys.key(plan, entityKey);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RowKey k
        && k.entityKey.equals(entityKey)
        && k.plan.name().equals(plan.name())
        && k.plan.versionTag().equals(plan.versionTag());
  }

  @Override
  public int hashCode() {
    return Objects.hash(plan.name(), plan.versionTag(), entityKey);
  }
}
