package io.freshet.offline;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.lastK;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Rows written with the table's batch statements read back typed, as of any commit. */
class OfflineReaderTest {
  private static final SlidingWindow HOUR =
      SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
  private static final OfflineTable TABLE =
      OfflineTable.of(
          ViewPlan.of(
              FeatureView.named("clicks")
                  .source(KafkaJsonSource.topic("clicks").keyedBy("user_id").eventTimeField("ts"))
                  .feature(Feature.named("n").aggregate(count()).over(HOUR))
                  .feature(Feature.named("pages").aggregate(lastK("page", 3)).over(HOUR))
                  .build()));
  private static final long T1 = Instant.parse("2026-11-20T12:00:00Z").toEpochMilli();
  private static final long T2 = Instant.parse("2026-11-20T12:15:00Z").toEpochMilli();

  private static String url;

  @BeforeAll
  static void database() throws SQLException {
    url = TestPostgres.freshDatabase("offline_reader");
    try (Connection c = PostgresSessions.open(url, "freshet-test")) {
      OfflineTables.ensure(c, TABLE, PostgresSessions.dataSource(url, "freshet-test"));
    }
  }

  @Test
  void reads_latest_rows_history_and_rows_as_of_a_commit_time() throws Exception {
    FeatureRow first = new FeatureRow("u1", T1, new Object[] {1L, List.of("a", "b\"c")});
    FeatureRow second = new FeatureRow("u1", T2, new Object[] {2L, List.of()});
    FeatureRow other = new FeatureRow("u2", T1, new Object[] {null, null});
    write(List.of(first, other));
    Instant between = Instant.now();
    Thread.sleep(20);
    FeatureRow firstLate = new FeatureRow("u1", T1, new Object[] {3L, List.of("x")});
    write(List.of(firstLate, second));

    try (Connection c = PostgresSessions.open(url, "freshet-test")) {
      c.setAutoCommit(false);
      OfflineReader reader = new OfflineReader(c, TABLE);

      assertThat(reader.latestCurrentRow("u1")).isEqualTo(second);
      assertThat(reader.latestCurrentRow("nobody")).isNull();
      assertThat(reader.currentRows()).containsExactlyInAnyOrder(firstLate, second, other);
      assertThat(reader.rowsAsOf(between)).containsExactlyInAnyOrder(first, other);
      assertThat(reader.history("u1"))
          .extracting(OfflineReader.Version::row)
          .containsExactly(first, firstLate, second);
      assertThat(reader.history("u1").get(0).supersededAt()).isNotNull();
      assertThat(reader.sampleEntities(10)).containsExactlyInAnyOrder("u1", "u2");
      List<FeatureRow> latest = new ArrayList<>();
      reader.forEachLatestCurrentRow(Instant.ofEpochMilli(T1 - 1), 1, latest::add);
      assertThat(latest).containsExactly(second, other);
      assertThat(OfflineTables.counts(c, TABLE)).isEqualTo(new OfflineTables.VersionCounts(4, 1));
      c.commit();
    }
  }

  private static void write(List<FeatureRow> rows) throws SQLException {
    try (Connection c = PostgresSessions.open(url, OfflineTable.WRITER_APPLICATION_NAME)) {
      c.setAutoCommit(false);
      Array keys = c.createArrayOf("text", rows.stream().map(FeatureRow::entityKey).toArray());
      Array ts = c.createArrayOf("int8", rows.stream().map(FeatureRow::featureTs).toArray());
      Array n = c.createArrayOf("int8", rows.stream().map(r -> r.values()[0]).toArray());
      Array pages =
          c.createArrayOf(
              "text",
              rows.stream()
                  .map(
                      r ->
                          r.values()[1] == null
                              ? null
                              : ListValues.literal((List<?>) r.values()[1]))
                  .toArray());
      for (String sql : List.of(TABLE.insertOrSupersedeStatement(), TABLE.insertStatement())) {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setArray(1, keys);
          ps.setArray(2, ts);
          ps.setArray(3, n);
          ps.setArray(4, pages);
          ps.setArray(5, c.createArrayOf("int8", new Long[rows.size()]));
          ps.executeUpdate();
        }
      }
      c.commit();
    }
  }
}
