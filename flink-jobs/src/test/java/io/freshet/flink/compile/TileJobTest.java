package io.freshet.flink.compile;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.RequestTimeRule;
import io.freshet.dsl.FeatureView;
import io.freshet.examples.UserActivity;
import io.freshet.offline.TileTable;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request-time view as the jobs run it on a Flink cluster: the streaming job (checkpoints, the
 * tile sink into Redis and Postgres) and the batch backfill (tile history only) both end with, per
 * (entity, tile start), the version that counts the tile's events; the backfill's versions carry no
 * visibility instant; and the tiles of the stream and of the batch give the same values.
 */
class TileJobTest {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  private static ViewPlan plan(String name) {
    FeatureView v = UserActivity.view();
    return ViewPlan.of(
        new FeatureView.Builder(
                name,
                v.source(),
                v.features(),
                v.derived(),
                v.ttl(),
                v.availabilityDelay(),
                v.serving())
            .servedAtRequestTime(Duration.ofMinutes(1))
            .build());
  }

  @Test
  void stream_and_backfill_end_with_the_counting_versions(@TempDir Path dir) throws Exception {
    String run = "r" + Long.toHexString(new Random().nextLong() & 0xffffffffL);
    ViewPlan streamPlan = plan("tiles_stream_" + run);
    ViewPlan batchPlan = plan("tiles_batch_" + run);
    long bound = streamPlan.source().maxOutOfOrderness().toMillis();
    long tile = streamPlan.tileMillis();
    Random r = new Random(5);
    List<String> lines = new ArrayList<>();
    Map<String, Long> counts = new TreeMap<>();
    long t = System.currentTimeMillis() - Duration.ofMinutes(90).toMillis();
    String[] types = {"view", "click", "add_to_cart", "purchase"};
    for (int i = 0; i < 4_000; i++) {
      t += r.nextInt(2_500);
      long ts = t - (long) (r.nextDouble() * (bound - 1));
      String type = types[r.nextInt(types.length)];
      String user = run + "_user_" + r.nextInt(40);
      lines.add(
          "{\"user_id\":\""
              + user
              + "\",\"event_type\":\""
              + type
              + "\",\"session_id\":\"s"
              + r.nextInt(30)
              + "\","
              + ("purchase".equals(type) ? "\"revenue\":" + r.nextInt(10_000) / 100.0 + "," : "")
              + "\"platform\":\"web\",\"event_ts\":"
              + ts
              + "}");
      counts.merge(user + "@" + Math.floorDiv(ts, tile) * tile, 1L, Long::sum);
    }
    Path input = dir.resolve("events.jsonl");
    Files.write(input, lines);
    String pgUrl = TestPostgres.freshDatabase("tile_job");

    // The streaming job, checkpointing, into both stores.
    StreamExecutionEnvironment stream = StreamExecutionEnvironment.getExecutionEnvironment();
    stream.setParallelism(2);
    stream.enableCheckpointing(100);
    var decoded =
        FeatureJobCompiler.decode(
            stream.fromData(lines), streamPlan, "test", EveryEventWatermarks.strategy(bound));
    var tiles = FeatureJobCompiler.tiles(decoded, streamPlan);
    FeatureJobCompiler.sinkTiles(
        tiles.tiles(),
        streamPlan,
        new JobSettings(
            "kafka:9092",
            "test",
            JobSettings.StartingOffsets.EARLIEST,
            pgUrl,
            TestRedis.uri(7),
            1000,
            1000));
    CloseableIterator<Tile> streamed = tiles.tiles().collectAsync();
    stream.execute("streaming tiles");
    Map<String, Tile> streamTiles = newest(streamed);

    // The backfill, in batch mode, tile history only.
    StreamExecutionEnvironment batch = StreamExecutionEnvironment.getExecutionEnvironment();
    batch.setParallelism(2);
    BackfillCompiler.compile(
        batch, List.of(batchPlan), new BackfillSource.JsonLines(input.toString()), pgUrl, null);
    batch.execute("backfill tiles");
    StreamExecutionEnvironment batch2 = StreamExecutionEnvironment.getExecutionEnvironment();
    batch2.setParallelism(2);
    batch2.setRuntimeMode(RuntimeExecutionMode.BATCH);
    CloseableIterator<Tile> batched =
        FeatureJobCompiler.tiles(
                BackfillCompiler.read(
                    batch2, batchPlan, new BackfillSource.JsonLines(input.toString())),
                batchPlan)
            .tiles()
            .collectAsync();
    batch2.execute("batch tiles");
    Map<String, Tile> batchTiles = newest(batched);

    Map<String, Long> streamVersions = new TreeMap<>();
    streamTiles.forEach((k, v) -> streamVersions.put(k, v.version()));
    assertThat(streamVersions).as("newest streamed versions").isEqualTo(counts);
    Map<String, Long> batchVersions = new TreeMap<>();
    batchTiles.forEach((k, v) -> batchVersions.put(k, v.version()));
    assertThat(batchVersions).as("batch versions").isEqualTo(counts);
    RequestTimeRule streamRule = new RequestTimeRule(streamPlan);
    RequestTimeRule batchRule = new RequestTimeRule(batchPlan);
    for (var e : streamTiles.entrySet()) {
      Tile s = e.getValue();
      Tile b = batchTiles.get(e.getKey());
      FeatureRow sv = streamRule.valueAt(s.entityKey(), List.of(s), s.start() + tile);
      FeatureRow bv = batchRule.valueAt(b.entityKey(), List.of(b), b.start() + tile);
      assertThat(bv.values()).as(e.getKey()).isEqualTo(sv.values());
    }

    Map<String, long[]> streamed2 = table(pgUrl, streamPlan);
    Map<String, Long> offlineNewest = new TreeMap<>();
    streamed2.forEach((k, v) -> offlineNewest.put(k, v[0]));
    assertThat(offlineNewest).as("newest versions in the stream's tile table").isEqualTo(counts);
    Map<String, long[]> history = table(pgUrl, batchPlan);
    Map<String, Long> historyVersions = new TreeMap<>();
    history.forEach((k, v) -> historyVersions.put(k, v[0]));
    assertThat(historyVersions).as("the backfill's tile history").isEqualTo(counts);
    assertThat(history.values()).allSatisfy(v -> assertThat(v[1]).as("visible_at").isEqualTo(-1));
    assertThat(history.values()).allSatisfy(v -> assertThat(v[2]).as("versions").isEqualTo(1));
  }

  private static Map<String, Tile> newest(CloseableIterator<Tile> it) throws Exception {
    Map<String, Tile> out = new TreeMap<>();
    try (it) {
      it.forEachRemaining(
          tl ->
              out.merge(
                  tl.entityKey() + "@" + tl.start(),
                  tl,
                  (a, b) -> a.version() >= b.version() ? a : b));
    }
    return out;
  }

  /** Per tile: {newest version, its visible_at in µs or -1, number of versions}. */
  private static Map<String, long[]> table(String pgUrl, ViewPlan plan) throws Exception {
    Map<String, long[]> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(pgUrl);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT entity_key, (extract(epoch from tile_start) * 1000)::bigint, version,"
                    + " coalesce((extract(epoch from visible_at) * 1000000)::bigint, -1)"
                    + " FROM "
                    + TileTable.of(plan).qualifiedName()
                    + " ORDER BY 1, 2, 3")) {
      while (rs.next()) {
        String key = rs.getString(1) + "@" + rs.getLong(2);
        long[] previous = out.get(key);
        long versions = previous == null ? 1 : previous[2] + 1;
        out.put(key, new long[] {rs.getLong(3), rs.getLong(4), versions});
      }
    }
    return out;
  }
}
