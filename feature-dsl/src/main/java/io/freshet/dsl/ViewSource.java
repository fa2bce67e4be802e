package io.freshet.dsl;

import java.io.Serializable;
import java.util.List;

/**
 * Where a feature view's data comes from: a Kafka topic of JSON events whose features are
 * aggregated over windows ({@link KafkaJsonSource}), or a Postgres table or query whose columns are
 * the features, materialized by {@code freshet materialize} ({@link PostgresTableSource}).
 */
public sealed interface ViewSource extends Serializable
    permits KafkaJsonSource, PostgresTableSource {

  /** The fields (JSON fields or columns) whose values identify the entity, in order. */
  List<String> keyFields();

  /** A short name of the source for messages: the topic, the table, or "query". */
  String label();
}
