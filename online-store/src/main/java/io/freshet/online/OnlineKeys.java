package io.freshet.online;

import io.freshet.plan.ViewPlan;
import java.nio.charset.StandardCharsets;

/**
 * The one owner of the Redis key of one entity's latest row for one view version:
 *
 * <pre>{entityKey}:versionTag     e.g.  {user_42}:1a2b3c4d5e</pre>
 *
 * <p>The braces are a Redis Cluster hash tag: every view of one entity lives in the same slot, so
 * one MGET reads an entity's whole feature vector even on a cluster.
 *
 * <p>The view's name is not spelled out: the {@link ViewPlan#versionTag() version tag} is a prefix
 * of the fingerprint of the view's definition, which includes its name, so it already tells the
 * views (and the versions of one view) apart. Keeping the key short keeps the online table small;
 * every byte of the key is paid once per entity and view.
 *
 * <p>Every online key starts with <code>{</code>; no other key Freshet writes does (the online
 * sink's commit markers start with {@code freshet:commit:}), so {@link #scanPattern} matches rows
 * only. Everything that builds, matches or parses online keys goes through this class.
 *
 * <p>A commit marker of the online sink says that a committable's rows are in:
 *
 * <pre>freshet:commit:{view@tag:subtask}:jobId:checkpointId:writerIdHex</pre>
 *
 * <p>Its hash tag keeps one subtask's markers in one slot.
 */
public final class OnlineKeys {
  private OnlineKeys() {}

  /** The key of an entity's row of a view version. */
  public static String key(ViewPlan plan, String entityKey) {
    return "{" + entityKey + "}:" + plan.versionTag();
  }

  /** {@link #key} as UTF-8 bytes. */
  public static byte[] keyBytes(ViewPlan plan, String entityKey) {
    return key(plan, entityKey).getBytes(StandardCharsets.UTF_8);
  }

  /** A Redis {@code SCAN ... MATCH} pattern for every key of a view version. */
  public static String scanPattern(ViewPlan plan) {
    return "{*}:" + plan.versionTag();
  }

  /**
   * The entity key inside a key of the view version, the inverse of {@link #key}.
   *
   * @throws IllegalArgumentException if {@code key} is not a key of this view version
   */
  public static String entityKey(ViewPlan plan, String key) {
    String suffix = "}:" + plan.versionTag();
    if (!key.startsWith("{") || !key.endsWith(suffix) || key.length() < 1 + suffix.length()) {
      throw new IllegalArgumentException(
          "'"
              + key
              + "' is not an online key of view '"
              + plan.name()
              + "' ("
              + scanPattern(plan)
              + ")");
    }
    return key.substring(1, key.length() - suffix.length());
  }

  /** The prefix of every commit marker; no online row's key starts with it. */
  public static final String COMMIT_MARKER_PREFIX = "freshet:commit:";

  /**
   * The key of the commit marker of one committable of the online sink.
   *
   * @param view the committable's view, {@code name@versionTag}
   * @param subtask the writer subtask that made it
   * @param jobId the Flink job
   * @param checkpointId the checkpoint it belongs to
   * @param writerId the writer's random id, written in hex
   */
  public static byte[] commitMarker(
      String view, int subtask, String jobId, long checkpointId, long writerId) {
    return (COMMIT_MARKER_PREFIX
            + "{"
            + view
            + ":"
            + subtask
            + "}:"
            + jobId
            + ":"
            + checkpointId
            + ":"
            + Long.toHexString(writerId))
        .getBytes(StandardCharsets.UTF_8);
  }
}
