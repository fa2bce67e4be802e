package io.freshet.flink.compile;

import java.io.Serializable;
import java.util.Objects;

/**
 * Where a feature job reads and writes, and how often it checkpoints.
 *
 * @param kafkaBootstrap Kafka bootstrap servers
 * @param consumerGroup Kafka consumer group id (offsets are tracked by Flink's checkpoints)
 * @param startingOffsets where a fresh job starts reading
 * @param pgUrl JDBC URL of the Postgres holding the offline tables
 * @param redisUrl URI of the online table: {@code redis://} for one server, {@code
 *     redis-cluster://host1:port,host2:port} for a Redis Cluster ({@link
 *     io.freshet.online.OnlineStoreUri})
 * @param checkpointIntervalMillis checkpoint interval; rows become visible at each checkpoint
 * @param maxBufferedRows rows a sink writer buffers before writing early
 * @param rejectedEventsTopic Kafka topic for dead letters and late events, or null to keep them in
 *     the Postgres table {@code freshet.rejected_events}
 */
public record JobSettings(
    String kafkaBootstrap,
    String consumerGroup,
    StartingOffsets startingOffsets,
    String pgUrl,
    String redisUrl,
    long checkpointIntervalMillis,
    int maxBufferedRows,
    String rejectedEventsTopic)
    implements Serializable {

  /** Where a job without restored state starts in its topics. */
  public enum StartingOffsets {
    EARLIEST,
    LATEST,
    COMMITTED
  }

  /** Settings that keep rejected events in Postgres. */
  public JobSettings(
      String kafkaBootstrap,
      String consumerGroup,
      StartingOffsets startingOffsets,
      String pgUrl,
      String redisUrl,
      long checkpointIntervalMillis,
      int maxBufferedRows) {
    this(
        kafkaBootstrap,
        consumerGroup,
        startingOffsets,
        pgUrl,
        redisUrl,
        checkpointIntervalMillis,
        maxBufferedRows,
        null);
  }

  public JobSettings {
    Objects.requireNonNull(kafkaBootstrap, "kafkaBootstrap (--kafka or FRESHET_KAFKA)");
    Objects.requireNonNull(pgUrl, "pgUrl (--pg-url or FRESHET_PG_URL)");
    Objects.requireNonNull(redisUrl, "redisUrl (--redis-url or FRESHET_REDIS_URL)");
    Objects.requireNonNull(startingOffsets, "startingOffsets");
    if (checkpointIntervalMillis < 100) {
      throw new IllegalArgumentException(
          "checkpoint interval must be at least 100 ms, got " + checkpointIntervalMillis);
    }
    if (maxBufferedRows < 1) {
      throw new IllegalArgumentException(
          "max buffered rows must be at least 1, got " + maxBufferedRows);
    }
  }
}
