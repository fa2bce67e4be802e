package io.freshet.offline;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.last;
import static io.freshet.dsl.Aggregation.lastK;
import static io.freshet.dsl.Aggregation.sum;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class OfflineTableTest {
  private static final SlidingWindow HOUR =
      SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));

  private final ViewPlan plan =
      ViewPlan.of(
          FeatureView.named("clicks")
              .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
              .feature(Feature.named("n").aggregate(count()).over(HOUR))
              .feature(Feature.named("spend").aggregate(sum("amount")).over(HOUR))
              .feature(Feature.named("device").aggregate(last("device")).over(HOUR))
              .feature(Feature.named("pages").aggregate(lastK("page", 3)).over(HOUR))
              .build());
  private final OfflineTable table = OfflineTable.of(plan);

  @Test
  void table_keeps_versions_keyed_by_commit_time_with_one_current_version_per_row() {
    assertThat(tagged(table.createStatements()))
        .containsExactly(
            "CREATE SCHEMA IF NOT EXISTS freshet",
            """
            CREATE TABLE IF NOT EXISTS freshet."clicks__TAG" (
              entity_key text COLLATE "C" NOT NULL,
              feature_ts timestamptz NOT NULL,
              "n" bigint,
              "spend" double precision,
              "device" text,
              "pages" text[],
              committed_at timestamptz NOT NULL DEFAULT now(),
              superseded_at timestamptz,
              visible_at timestamptz,
              PRIMARY KEY (entity_key, feature_ts, committed_at)
            )""",
            "CREATE UNIQUE INDEX IF NOT EXISTS \"clicks__TAG__current\" ON freshet.\"clicks__TAG\""
                + " (entity_key, feature_ts) WHERE superseded_at IS NULL");
  }

  @Test
  void batch_statements_take_one_array_per_column_and_find_current_versions_by_index() {
    String insert =
        "INSERT INTO freshet.\"clicks__TAG\" AS t (entity_key, feature_ts, \"n\", \"spend\","
            + " \"device\", \"pages\", visible_at, committed_at) SELECT u.entity_key,"
            + " (timestamptz 'epoch' + u.feature_ms * interval '1 millisecond'),"
            + " u.p0, u.p1, u.p2, u.p3::text[],"
            + " timestamptz 'epoch' + u.visible_us * interval '1 microsecond',"
            + " now() FROM unnest(?::text[], ?::bigint[],"
            + " ?::bigint[], ?::double precision[], ?::text[], ?::text[], ?::bigint[])"
            + " AS u(entity_key, feature_ms, p0, p1, p2, p3, visible_us)"
            + " ON CONFLICT (entity_key, feature_ts) WHERE superseded_at IS NULL";
    String changed =
        "ROW(t.\"n\", t.\"spend\", t.\"device\", t.\"pages\")"
            + " IS DISTINCT FROM"
            + " ROW(EXCLUDED.\"n\", EXCLUDED.\"spend\", EXCLUDED.\"device\", EXCLUDED.\"pages\")";
    assertThat(tagged(table.insertOrSupersedeStatement()))
        .isEqualTo(
            insert
                + " DO UPDATE SET superseded_at = CASE WHEN "
                + changed
                + " THEN now() END, visible_at = CASE WHEN "
                + changed
                + " THEN t.visible_at ELSE coalesce(t.visible_at, EXCLUDED.visible_at) END"
                + " WHERE "
                + changed
                + " OR (t.visible_at IS NULL AND EXCLUDED.visible_at IS NOT NULL)");
    assertThat(tagged(table.insertStatement())).isEqualTo(insert + " DO NOTHING");
  }

  @Test
  void latest_and_as_of_reads_are_plain_filters() {
    String cols = "entity_key, feature_ts, \"n\", \"spend\", \"device\", \"pages\", committed_at";
    assertThat(tagged(table.currentRowsQuery()))
        .isEqualTo("SELECT " + cols + " FROM freshet.\"clicks__TAG\" WHERE superseded_at IS NULL");
    assertThat(tagged(table.rowsAsOfQuery()))
        .isEqualTo(
            "SELECT "
                + cols
                + " FROM freshet.\"clicks__TAG\""
                + " WHERE committed_at <= ? AND (superseded_at IS NULL OR superseded_at > ?)");
  }

  @Test
  void index_name_is_cut_to_postgres_identifier_length() {
    String longName = "v" + "x".repeat(47);
    OfflineTable longTable =
        OfflineTable.of(
            ViewPlan.of(
                FeatureView.named(longName)
                    .source(KafkaJsonSource.topic("t").keyedBy("k").eventTimeField("ts"))
                    .feature(Feature.named("n").aggregate(count()).over(HOUR))
                    .build()));
    assertThat(longTable.currentIndexName())
        .hasSize(63)
        .isEqualTo((longTable.tableName() + "__current").substring(0, 63));
    assertThat(table.currentIndexName()).isEqualTo(table.tableName() + "__current");
  }

  @Test
  void list_literal_quotes_every_element() {
    assertThat(ListValues.literal(List.of())).isEqualTo("{}");
    assertThat(ListValues.literal(List.of("a", "", "b\"c", "d\\e", "NULL", "x,y", "{z}")))
        .isEqualTo("{\"a\",\"\",\"b\\\"c\",\"d\\\\e\",\"NULL\",\"x,y\",\"{z}\"}");
  }

  private String tagged(String sql) {
    return sql.replace(plan.versionTag(), "TAG");
  }

  private List<String> tagged(List<String> sql) {
    return sql.stream().map(this::tagged).toList();
  }
}
