package io.freshet.flink.compile;

import io.freshet.flink.source.PostgresEvents;
import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;

/**
 * Where a backfill reads its historical events: a file (or directory) of JSON lines, a bounded time
 * range of the view's Kafka topic, or a Postgres table or query of events.
 */
public sealed interface BackfillSource extends Serializable
    permits BackfillSource.JsonLines, BackfillSource.KafkaRange, BackfillSource.Postgres {

  /** JSON events, one per line, in a file or in every file of a directory. */
  record JsonLines(String path) implements BackfillSource {
    public JsonLines {
      Objects.requireNonNull(path, "path of the JSON-lines input");
    }
  }

  /**
   * The records of the view's topic whose Kafka timestamps lie in {@code [from, to)}; {@code from}
   * null means the earliest offsets.
   */
  record KafkaRange(String bootstrapServers, Instant from, Instant to) implements BackfillSource {
    public KafkaRange {
      Objects.requireNonNull(bootstrapServers, "Kafka bootstrap servers");
      Objects.requireNonNull(to, "end of the Kafka time range");
      if (from != null && !from.isBefore(to)) {
        throw new IllegalArgumentException(
            "Kafka range starts at " + from + ", not before its end " + to + " (swap them?)");
      }
    }
  }

  /**
   * The rows of a Postgres table or query, one event per row, read with the JDBC connector's {@code
   * JdbcSource}; see {@link PostgresEvents} for the columns and the optional event-time range.
   *
   * @param jdbcUrl the database holding the events
   */
  record Postgres(String jdbcUrl, PostgresEvents events) implements BackfillSource {
    public Postgres {
      Objects.requireNonNull(jdbcUrl, "JDBC URL of the events' database");
      Objects.requireNonNull(events, "table or query of the events");
    }
  }
}
