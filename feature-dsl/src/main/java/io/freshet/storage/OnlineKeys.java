package io.freshet.storage;

import io.freshet.plan.ViewPlan;
import java.nio.charset.StandardCharsets;

/**
 * The Redis key of one entity's latest row for one view version:
 *
 * <pre>f:{entityKey}:view:versionTag     e.g.  f:{user_42}:user_activity:1a2b3c4d5e</pre>
 *
 * <p>The braces are a Redis Cluster hash tag: every view of one entity lives in the same slot, so
 * one MGET reads an entity's whole feature vector even on a cluster.
 */
public final class OnlineKeys {
  private OnlineKeys() {}

  public static String key(ViewPlan plan, String entityKey) {
    return "f:{" + entityKey + "}:" + plan.name() + ":" + plan.versionTag();
  }

  public static byte[] keyBytes(ViewPlan plan, String entityKey) {
    return key(plan, entityKey).getBytes(StandardCharsets.UTF_8);
  }
}
