package io.freshet.flink.job;

import io.freshet.flink.compile.JobSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The program arguments of the streaming job ({@link JobContract#FEATURE_JOB_CLASS}), formatted by
 * the {@code freshet} command and parsed by the job:
 *
 * <pre>
 * --views user_activity,user_activity_live   views to run (default: every bundled view)
 * --kafka host:9092                          bootstrap servers (or FRESHET_KAFKA)
 * --pg-url jdbc:postgresql://...             offline store (or FRESHET_PG_URL)
 * --redis-url redis://host:6379              online store (or FRESHET_REDIS_URL); a Redis Cluster
 *                                            as redis-cluster://host1:6379,host2:6379
 * --checkpoint-interval 5000                 milliseconds between checkpoints
 * --starting-offsets earliest|latest|committed
 * --group-id freshet-features
 * --max-buffered-rows 5000                   rows a sink writer buffers before writing early
 * --rejected-events-topic freshet-rejected   keep dead letters and late events in Kafka
 *                                            (default: the Postgres table freshet.rejected_events)
 * </pre>
 *
 * @param views the views to run; empty for every view the job jar defines
 * @param kafka bootstrap servers, or null to read {@code FRESHET_KAFKA} where the job runs
 * @param pgUrl JDBC URL of the offline store, or null for {@code FRESHET_PG_URL}
 * @param redisUrl URI of the online store, or null for {@code FRESHET_REDIS_URL}
 * @param checkpointIntervalMillis milliseconds between checkpoints, or null for 5000
 * @param startingOffsets where a job without state starts, or null for committed offsets
 * @param groupId Kafka consumer group, or null for {@code freshet-features}
 * @param maxBufferedRows rows a sink writer buffers, or null for 5000
 * @param rejectedEventsTopic Kafka topic for rejected events, or null for the Postgres table
 */
public record FeatureJobArguments(
    List<String> views,
    String kafka,
    String pgUrl,
    String redisUrl,
    Long checkpointIntervalMillis,
    JobSettings.StartingOffsets startingOffsets,
    String groupId,
    Integer maxBufferedRows,
    String rejectedEventsTopic) {
  static final String VIEWS = "views";
  static final String KAFKA = "kafka";
  static final String PG_URL = "pg-url";
  static final String REDIS_URL = "redis-url";
  static final String CHECKPOINT_INTERVAL = "checkpoint-interval";
  static final String STARTING_OFFSETS = "starting-offsets";
  static final String GROUP_ID = "group-id";
  static final String MAX_BUFFERED_ROWS = "max-buffered-rows";
  static final String REJECTED_EVENTS_TOPIC = "rejected-events-topic";

  static final String DEFAULT_GROUP_ID = "freshet-features";
  static final long DEFAULT_CHECKPOINT_INTERVAL_MILLIS = 5000;
  static final int DEFAULT_MAX_BUFFERED_ROWS = 5000;

  public FeatureJobArguments {
    views = views == null ? List.of() : List.copyOf(views);
  }

  /** The arguments for these views and stores; everything else at the job's defaults. */
  public static FeatureJobArguments of(
      List<String> views, String kafka, String pgUrl, String redisUrl) {
    return new FeatureJobArguments(views, kafka, pgUrl, redisUrl, null, null, null, null, null);
  }

  public FeatureJobArguments withCheckpointIntervalMillis(long millis) {
    return new FeatureJobArguments(
        views,
        kafka,
        pgUrl,
        redisUrl,
        millis,
        startingOffsets,
        groupId,
        maxBufferedRows,
        rejectedEventsTopic);
  }

  public FeatureJobArguments withStartingOffsets(JobSettings.StartingOffsets offsets) {
    return new FeatureJobArguments(
        views,
        kafka,
        pgUrl,
        redisUrl,
        checkpointIntervalMillis,
        offsets,
        groupId,
        maxBufferedRows,
        rejectedEventsTopic);
  }

  public FeatureJobArguments withGroupId(String group) {
    return new FeatureJobArguments(
        views,
        kafka,
        pgUrl,
        redisUrl,
        checkpointIntervalMillis,
        startingOffsets,
        group,
        maxBufferedRows,
        rejectedEventsTopic);
  }

  public FeatureJobArguments withRejectedEventsTopic(String topic) {
    return new FeatureJobArguments(
        views,
        kafka,
        pgUrl,
        redisUrl,
        checkpointIntervalMillis,
        startingOffsets,
        groupId,
        maxBufferedRows,
        topic);
  }

  /** The program arguments, leaving out what is null so that the job's default applies. */
  public List<String> format() {
    List<String> args = new ArrayList<>();
    if (!views.isEmpty()) {
      add(args, VIEWS, String.join(",", views));
    }
    add(args, KAFKA, kafka);
    add(args, PG_URL, pgUrl);
    add(args, REDIS_URL, redisUrl);
    add(args, CHECKPOINT_INTERVAL, checkpointIntervalMillis);
    add(
        args,
        STARTING_OFFSETS,
        startingOffsets == null ? null : startingOffsets.name().toLowerCase(Locale.ROOT));
    add(args, GROUP_ID, groupId);
    add(args, MAX_BUFFERED_ROWS, maxBufferedRows);
    add(args, REJECTED_EVENTS_TOPIC, rejectedEventsTopic);
    return args;
  }

  static void add(List<String> args, String name, Object value) {
    if (value != null) {
      args.add("--" + name);
      args.add(value.toString());
    }
  }

  /**
   * Reads the arguments as the job receives them ({@code --name value} pairs, keys without the
   * dashes), the stores falling back to {@code env}.
   */
  public static FeatureJobArguments parse(Map<String, String> params, Map<String, String> env) {
    String views = params.get(VIEWS);
    String offsets = params.get(STARTING_OFFSETS);
    return new FeatureJobArguments(
        views == null || views.isBlank()
            ? List.of()
            : Arrays.stream(views.split(",")).map(String::trim).toList(),
        required(params, env, KAFKA, "FRESHET_KAFKA"),
        required(params, env, PG_URL, "FRESHET_PG_URL"),
        required(params, env, REDIS_URL, "FRESHET_REDIS_URL"),
        params.containsKey(CHECKPOINT_INTERVAL)
            ? Long.valueOf(params.get(CHECKPOINT_INTERVAL))
            : null,
        offsets == null
            ? null
            : JobSettings.StartingOffsets.valueOf(offsets.toUpperCase(Locale.ROOT)),
        params.get(GROUP_ID),
        params.containsKey(MAX_BUFFERED_ROWS)
            ? Integer.valueOf(params.get(MAX_BUFFERED_ROWS))
            : null,
        params.get(REJECTED_EVENTS_TOPIC));
  }

  /** The job's settings, with the defaults for what was left out. */
  public JobSettings settings() {
    return new JobSettings(
        kafka,
        groupId != null ? groupId : DEFAULT_GROUP_ID,
        startingOffsets != null ? startingOffsets : JobSettings.StartingOffsets.COMMITTED,
        pgUrl,
        redisUrl,
        checkpointIntervalMillis != null
            ? checkpointIntervalMillis
            : DEFAULT_CHECKPOINT_INTERVAL_MILLIS,
        maxBufferedRows != null ? maxBufferedRows : DEFAULT_MAX_BUFFERED_ROWS,
        rejectedEventsTopic);
  }

  static String required(
      Map<String, String> params, Map<String, String> env, String name, String envName) {
    String v = params.getOrDefault(name, env.get(envName));
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(
          "missing --"
              + name
              + " (or environment variable "
              + envName
              + "); arguments were "
              + Arrays.toString(params.keySet().toArray()));
    }
    return v;
  }
}
