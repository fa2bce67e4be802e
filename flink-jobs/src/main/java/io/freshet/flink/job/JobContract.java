package io.freshet.flink.job;

import io.freshet.plan.ViewPlan;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the jobs of the job jar and the {@code freshet} command agree on, written once: the entry
 * classes, the job names and how to read the views back out of them, and the name and uid of every
 * operator. The arguments are {@link FeatureJobArguments} and {@link BackfillJobArguments}.
 *
 * <p>Operator uids key the state in checkpoints and savepoints: they must never change for a view
 * version that already runs. Each embeds {@link #stateName(ViewPlan)}, {@code {view}-{versionTag}},
 * so a change of meaning is a new version that starts from fresh state. The window operator's name
 * carries the version too, {@code windows: user_activity@3f2a9c01d4}, which is how {@code freshet
 * submit --upgrade} learns what a running job runs.
 *
 * <p>Plain Java: the command reads it without Flink on its class path.
 */
public final class JobContract {
  /** The entry class of the streaming job. */
  public static final String FEATURE_JOB_CLASS = "io.freshet.flink.FeatureJob";

  /** The entry class of the batch backfill job. */
  public static final String BACKFILL_JOB_CLASS = "io.freshet.flink.BackfillJob";

  /** The entry class of a table-sourced view's load ({@code freshet materialize}). */
  public static final String MATERIALIZE_JOB_CLASS = "io.freshet.flink.MaterializeJob";

  private static final String JOB_NAME_PREFIX = "freshet: ";
  private static final String BACKFILL_JOB_NAME_PREFIX = "freshet backfill: ";
  private static final String WINDOWS_PREFIX = "windows: ";

  private JobContract() {}

  // ---- job names ----

  /** The streaming job's name: {@code freshet: user_activity,user_activity_live}. */
  public static String jobName(List<String> views) {
    return JOB_NAME_PREFIX + String.join(",", views);
  }

  /** The backfill job's name: {@code freshet backfill: user_activity}. */
  public static String backfillJobName(List<String> views) {
    return BACKFILL_JOB_NAME_PREFIX + String.join(",", views);
  }

  /**
   * The views of a streaming job, read from its {@link #jobName(List) name}; empty for any other
   * job (a backfill, or one that is not Freshet's).
   */
  public static Set<String> viewsOfJob(String jobName) {
    if (jobName == null || !jobName.startsWith(JOB_NAME_PREFIX)) {
      return Set.of();
    }
    Set<String> views = new LinkedHashSet<>();
    for (String v : jobName.substring(JOB_NAME_PREFIX.length()).split(",")) {
      if (!v.isBlank()) {
        views.add(v.strip());
      }
    }
    return views;
  }

  // ---- operators of the streaming job ----

  /**
   * The name under which a view version keeps its state, {@code {view}-{versionTag}}: part of every
   * operator uid. A change of meaning is a new version and starts from fresh state (Kafka offsets
   * and windows alike) rather than reading slices built under the old meaning; its history comes
   * from a backfill. A redeploy of the same meaning keeps its uids, so its state survives.
   */
  public static String stateName(ViewPlan plan) {
    return plan.name() + "-" + plan.versionTag();
  }

  /** The Kafka source of a view: {@code kafka: <topic> → <view>}. */
  public static String sourceName(ViewPlan plan) {
    return "kafka: " + plan.source().topic() + " → " + plan.name();
  }

  public static String sourceUid(ViewPlan plan) {
    return "source-" + stateName(plan);
  }

  /** The map that decodes JSON payloads from a stream other than Kafka. */
  public static String decodeJsonName(ViewPlan plan) {
    return "decode json: " + plan.name();
  }

  public static String decodeJsonUid(ViewPlan plan) {
    return "decode-json-" + stateName(plan);
  }

  /** The watermarks assigned after {@link #decodeJsonName(ViewPlan)}. */
  public static String watermarksName(ViewPlan plan) {
    return "watermarks: " + plan.name();
  }

  public static String watermarksUid(ViewPlan plan) {
    return "watermarks-" + stateName(plan);
  }

  /** The split of dead letters from decoded events. */
  public static String decodeName(ViewPlan plan) {
    return "decode: " + plan.name();
  }

  public static String decodeUid(ViewPlan plan) {
    return "decode-" + stateName(plan);
  }

  /**
   * The window operator: {@code windows: <view>@<versionTag>}, read back by {@link
   * #windowVersions(String)}.
   */
  public static String windowsName(ViewPlan plan) {
    return WINDOWS_PREFIX + plan.name() + "@" + plan.versionTag();
  }

  public static String windowsUid(ViewPlan plan) {
    return "windows-" + stateName(plan);
  }

  /**
   * The tile operator of a request-time view. It is named as a window operator, {@link
   * #windowsName(ViewPlan)}, so that {@link #windowVersions(String)} reads its version too.
   */
  public static String tilesName(ViewPlan plan) {
    return windowsName(plan);
  }

  public static String tilesUid(ViewPlan plan) {
    return "tiles-" + stateName(plan);
  }

  /** The sink of a request-time view's tiles into both stores. */
  public static String tileSinkName(ViewPlan plan) {
    return "tiles: " + plan.name();
  }

  public static String tileSinkUid(ViewPlan plan) {
    return "tile-sink-" + stateName(plan);
  }

  public static String offlineSinkName(ViewPlan plan) {
    return "offline: " + plan.name();
  }

  public static String offlineSinkUid(ViewPlan plan) {
    return "offline-sink-" + stateName(plan);
  }

  public static String onlineSinkName(ViewPlan plan) {
    return "online: " + plan.name();
  }

  public static String onlineSinkUid(ViewPlan plan) {
    return "online-sink-" + stateName(plan);
  }

  /** The sink of rejected events into Postgres, shared by every view of the job. */
  public static final String REJECTED_POSTGRES_NAME = "rejected events: Postgres";

  public static final String REJECTED_POSTGRES_UID = "rejected-events-sink";

  /** The sink of rejected events into a Kafka topic, shared by every view of the job. */
  public static String rejectedKafkaName(String topic) {
    return "rejected events: Kafka " + topic;
  }

  public static final String REJECTED_KAFKA_UID = "rejected-events-kafka-sink";

  // ---- operators of the backfill job ----

  /** The file source of a backfill: {@code file: <path>}. */
  public static String backfillFileName(String path) {
    return "file: " + path;
  }

  public static String backfillFileUid(ViewPlan plan) {
    return "backfill-file-" + stateName(plan);
  }

  /** The bounded Kafka source of a backfill: {@code kafka range: <topic> → <view>}. */
  public static String backfillKafkaName(ViewPlan plan) {
    return "kafka range: " + plan.source().topic() + " → " + plan.name();
  }

  public static String backfillKafkaUid(ViewPlan plan) {
    return "backfill-kafka-" + stateName(plan);
  }

  /** The Postgres source of a backfill: {@code postgres:<table>} or {@code postgres:query}. */
  public static String backfillPostgresName(String originPrefix) {
    return originPrefix;
  }

  public static String backfillPostgresUid(ViewPlan plan) {
    return "backfill-postgres-" + stateName(plan);
  }

  public static String backfillOfflineSinkUid(ViewPlan plan) {
    return "backfill-offline-sink-" + stateName(plan);
  }

  public static String backfillOnlineSinkUid(ViewPlan plan) {
    return "backfill-online-sink-" + stateName(plan);
  }

  public static String backfillTileSinkUid(ViewPlan plan) {
    return "backfill-tile-sink-" + stateName(plan);
  }

  public static final String BACKFILL_REJECTED_POSTGRES_UID = "backfill-rejected-events-sink";

  /** The Kafka consumer group of a backfill's range read. */
  public static String backfillGroupId(ViewPlan plan) {
    return "freshet-backfill-" + plan.name();
  }

  // ---- reading a running job ----

  /**
   * The view versions named by the window operators in a job vertex's name (Flink joins chained
   * operators' names into one): view name to version tag, in order of appearance. Empty when the
   * vertex holds no window operator.
   */
  public static Map<String, String> windowVersions(String vertexName) {
    Map<String, String> versions = new LinkedHashMap<>();
    int at = vertexName.indexOf(WINDOWS_PREFIX);
    while (at >= 0) {
      int viewStart = at + WINDOWS_PREFIX.length();
      int viewEnd = viewStart;
      while (viewEnd < vertexName.length() && isNameChar(vertexName.charAt(viewEnd))) {
        viewEnd++;
      }
      int tagEnd = viewEnd + 1;
      while (tagEnd < vertexName.length() && isTagChar(vertexName.charAt(tagEnd))) {
        tagEnd++;
      }
      boolean named =
          viewEnd > viewStart
              && viewEnd < vertexName.length()
              && vertexName.charAt(viewEnd) == '@'
              && tagEnd > viewEnd + 1;
      if (named) {
        versions.put(
            vertexName.substring(viewStart, viewEnd), vertexName.substring(viewEnd + 1, tagEnd));
      }
      at = vertexName.indexOf(WINDOWS_PREFIX, named ? tagEnd : viewStart);
    }
    return versions;
  }

  private static boolean isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  private static boolean isTagChar(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
}
