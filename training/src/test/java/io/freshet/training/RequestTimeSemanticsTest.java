package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.PartAggregator;
import io.freshet.aggregate.PartAggregators;
import io.freshet.aggregate.SliceCodec;
import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.offline.OfflineTileWriter;
import io.freshet.offline.OfflineWriter;
import io.freshet.offline.SinkCommits;
import io.freshet.offline.TileTable;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.Tile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training sets of a request-time view against a brute force written separately: raw events, the
 * checkpoints that committed them (each tile changed since the previous one gets a version, with
 * the checkpoint's visibility instant or none), and for each label the events of the versions
 * visible at it (as-served) or of every version (final), aggregated by hand over the windows the
 * serving rule documents. Labels lie on visibility instants exactly and one microsecond before,
 * before the first served tile, and past expiry.
 */
class RequestTimeSemanticsTest {
  private static final long MINUTE = 60_000;
  private static final long TILE = MINUTE;
  private static final long TTL = 30 * MINUTE;
  private static final long MAX_WINDOW = 10 * MINUTE;
  private static final long[] SIZES = {10 * MINUTE, 10 * MINUTE, 5 * MINUTE};

  static final FeatureView LIVE =
      FeatureView.named("clicks_live")
          .source(
              KafkaJsonSource.topic("clicks")
                  .keyedBy("user_id")
                  .eventTimeField("ts")
                  .withMaxOutOfOrderness(Duration.ofMinutes(1)))
          .feature(
              Feature.named("n")
                  .aggregate(Aggregation.count())
                  .over(SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(5))))
          .feature(
              Feature.named("amount")
                  .aggregate(Aggregation.sum("amount"))
                  .over(SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(5))))
          .feature(
              Feature.named("page")
                  .aggregate(Aggregation.last("page"))
                  .over(SlidingWindow.of(Duration.ofMinutes(5), Duration.ofMinutes(5))))
          .ttl(Duration.ofMillis(TTL))
          .servedAtRequestTime(Duration.ofMillis(TILE))
          .build();

  /** The same view under another name, whose tiles were never served. */
  static final FeatureView NEVER =
      FeatureView.named("clicks_backfilled")
          .source(LIVE.source())
          .features(LIVE.features())
          .ttl(Duration.ofMillis(TTL))
          .servedAtRequestTime(Duration.ofMillis(TILE))
          .build();

  private static final Catalog CATALOG =
      Catalog.of(List.of(LIVE, NEVER, OfflineDatabase.USER_ACTIVITY));
  private static final ViewPlan PLAN = CATALOG.plan("clicks_live");
  private static final ViewPlan NEVER_PLAN = CATALOG.plan("clicks_backfilled");
  private static final long BASE = Instant.parse("2026-11-20T12:00:00Z").toEpochMilli();

  record Event(String entity, long ts, double amount, String page, int checkpoint) {}

  /** A checkpoint: when it became visible online (µs), and which tiles it wrote never served. */
  record Checkpoint(long visibleMicros) {}

  private static OfflineDatabase db;
  private static final List<Event> events = new ArrayList<>();
  private static final List<Checkpoint> checkpoints = new ArrayList<>();

  /** Per (entity, tile start, checkpoint) written: whether that version was served. */
  private static final Map<String, Boolean> served = new HashMap<>();

  private static final List<Long> labelTimes = new ArrayList<>();
  private static final List<String> labelUsers = new ArrayList<>();
  private static long firstServed = Long.MAX_VALUE;

  @TempDir Path dir;

  @BeforeAll
  static void history() throws Exception {
    db = OfflineDatabase.fresh();
    Random random = new Random(7);
    String[] pages = {"home", "cart", "pay", "a \"quoted\" page"};
    String[] users = {"u0", "u1", "u2", "u3", "ü4"};
    // events over 50 minutes, each arriving 0 to 3 minutes after its time
    List<long[]> arrivals = new ArrayList<>();
    List<Event> raw = new ArrayList<>();
    for (String user : users) {
      long ts = BASE + random.nextInt(20_000);
      while (ts < BASE + 50 * MINUTE) {
        raw.add(new Event(user, ts, random.nextInt(20) / 2.0, pages[random.nextInt(4)], -1));
        arrivals.add(new long[] {ts + random.nextInt(3 * (int) MINUTE)});
        ts += 1 + random.nextInt(90_000);
      }
    }
    // checkpoints: the first at BASE + 20 min (everything before was a backfill), then every 3
    // minutes; visible some µs after the checkpoint
    long p = BASE + 20 * MINUTE;
    int k = 0;
    while (p < BASE + 60 * MINUTE) {
      checkpoints.add(new Checkpoint(p * 1000 + 1 + random.nextInt(5_000_000)));
      for (int i = 0; i < raw.size(); i++) {
        Event e = raw.get(i);
        if (e.checkpoint() < 0 && arrivals.get(i)[0] <= p) {
          raw.set(i, new Event(e.entity(), e.ts(), e.amount(), e.page(), k));
        }
      }
      p += 3 * MINUTE;
      k++;
    }
    events.addAll(raw);
    for (Event e : events) {
      assertThat(e.checkpoint()).isNotNegative();
    }
    writeTiles(PLAN, random, false);
    writeTiles(NEVER_PLAN, random, true);
    Instant written = Instant.now();
    db.awaitStableAfter(written);

    // labels: random instants from 5 minutes before the events to 100 minutes after, every
    // visibility instant exactly and 1 µs before, and a label of a user without tiles
    for (String user : users) {
      for (int i = 0; i < 40; i++) {
        label(
            user, (BASE - 5 * MINUTE) * 1000 + (long) (random.nextDouble() * 105 * MINUTE * 1000));
      }
      label(user, (BASE + 50 * MINUTE + TILE + MAX_WINDOW + TTL) * 1000 + 5);
    }
    for (Checkpoint c : checkpoints) {
      for (String user : users) {
        label(user, c.visibleMicros());
        label(user, c.visibleMicros() - 1);
      }
    }
    // on tile boundaries and 1 µs before: the final values' cut moves by a tile between them
    for (long m = 2; m < 60; m += 3) {
      for (String user : users) {
        label(user, (BASE + m * MINUTE) * 1000);
        label(user, (BASE + m * MINUTE) * 1000 - 1);
      }
    }
    label("nobody", (BASE + 30 * MINUTE) * 1000);
  }

  private static void label(String user, long micros) {
    labelUsers.add(user);
    labelTimes.add(micros);
  }

  /** Commits each checkpoint's changed tiles through the tile writer. */
  private static void writeTiles(ViewPlan plan, Random random, boolean neverServed)
      throws Exception {
    List<FeaturePart.Aggregated> parts = plan.aggregatedParts();
    @SuppressWarnings("unchecked")
    PartAggregator<Object, Object>[] aggs = new PartAggregator[parts.size()];
    for (int i = 0; i < aggs.length; i++) {
      aggs[i] = PartAggregators.erased(parts.get(i).aggregation());
    }
    SliceCodec codec = new SliceCodec(aggs);
    try (OfflineTileWriter writer =
        new OfflineTileWriter(TileTable.of(plan), db.url, 3, Duration.ofDays(1))) {
      for (int k = 0; k < checkpoints.size(); k++) {
        Map<String, List<Event>> changed = new TreeMap<>();
        for (Event e : events) {
          if (e.checkpoint() == k) {
            changed.put(tileKey(e), new ArrayList<>());
          }
        }
        List<Tile> tiles = new ArrayList<>();
        List<Long> visible = new ArrayList<>();
        for (String key : changed.keySet()) {
          List<Event> in = new ArrayList<>();
          for (Event e : events) {
            if (tileKey(e).equals(key) && e.checkpoint() <= k) {
              in.add(e);
            }
          }
          Object[] accs = new Object[aggs.length];
          for (Event e : in) {
            for (int i = 0; i < aggs.length; i++) {
              String name = parts.get(i).name();
              accs[i] =
                  aggs[i].add(
                      accs[i],
                      name.equals("amount") ? e.amount() : name.equals("n") ? 1.0 : Double.NaN,
                      name.equals("page") ? e.page() : null,
                      e.ts());
            }
          }
          Event any = in.get(0);
          tiles.add(new Tile(any.entity(), tileStart(any.ts()), in.size(), codec.encode(accs)));
          boolean isServed = !neverServed && random.nextInt(10) != 0;
          visible.add(isServed ? checkpoints.get(k).visibleMicros() : -1L);
          if (!neverServed) {
            served.put(key + "#" + k, isServed);
            if (isServed) {
              firstServed = Math.min(firstServed, checkpoints.get(k).visibleMicros());
            }
          }
        }
        assertThat(
                writer.apply(
                    tiles,
                    visible.stream().mapToLong(Long::longValue).toArray(),
                    new SinkCommits.Marker("job", 0, k, 1),
                    new OfflineWriter.Progress() {
                      @Override
                      public void beforeBatch() {}

                      @Override
                      public void halfWritten() {}
                    }))
            .isEqualTo(OfflineWriter.Outcome.APPLIED);
      }
    }
  }

  private static long tileStart(long ts) {
    return Math.floorDiv(ts, TILE) * TILE;
  }

  private static String tileKey(Event e) {
    return e.entity() + "@" + tileStart(e.ts());
  }

  @AfterAll
  static void drop() throws Exception {
    db.close();
  }

  // ---- the brute force

  /** Events per tile start of a user's tiles as a reader sees them; null values: no tile. */
  private static List<String> expected(String user, long labelMicros, boolean asServed) {
    long lMillis = Math.floorDiv(labelMicros, 1000);
    boolean servedValue = asServed && labelMicros >= firstServed;
    long t = servedValue ? lMillis : Math.floorDiv(lMillis, TILE) * TILE;
    Map<Long, List<Event>> tiles = new TreeMap<>();
    for (Event e : events) {
      if (!e.entity().equals(user)) {
        continue;
      }
      long s = tileStart(e.ts());
      if (servedValue) {
        // the newest served version of this tile visible at L: the latest checkpoint that wrote
        // the tile, served it, and became visible at or before L
        int newest = -1;
        for (int k = 0; k < checkpoints.size(); k++) {
          Boolean wasServed = served.get(user + "@" + s + "#" + k);
          if (wasServed != null && wasServed && checkpoints.get(k).visibleMicros() <= labelMicros) {
            newest = k;
          }
        }
        if (newest >= 0 && e.checkpoint() <= newest) {
          tiles.computeIfAbsent(s, x -> new ArrayList<>()).add(e);
        }
      } else if (s < t) {
        tiles.computeIfAbsent(s, x -> new ArrayList<>()).add(e);
      }
    }
    List<String> values = new ArrayList<>();
    if (tiles.isEmpty()) {
      values.add(null);
      values.add(null);
      values.add(null);
      return values;
    }
    long newestStart = ((TreeMap<Long, List<Event>>) tiles).lastKey();
    if (t >= newestStart + TILE + MAX_WINDOW + TTL) {
      values.add(null);
      values.add(null);
      values.add(null);
      return values;
    }
    long count = 0;
    double amount = 0;
    Event last = null;
    for (Map.Entry<Long, List<Event>> tile : tiles.entrySet()) {
      long s = tile.getKey();
      for (Event e : tile.getValue()) {
        if (s >= Math.floorDiv(t - SIZES[0], TILE) * TILE && s < t) {
          count++;
          amount += e.amount();
        }
        if (s >= Math.floorDiv(t - SIZES[2], TILE) * TILE && s < t) {
          if (last == null || e.ts() > last.ts()) {
            last = e;
          }
        }
      }
    }
    values.add(Long.toString(count));
    values.add(Double.toString(amount));
    values.add(last == null ? null : last.page());
    return values;
  }

  // ---- the tests

  @Test
  void as_served_values_are_what_the_visible_versions_give_at_each_label() throws Exception {
    TrainingSetManifest m = build("clicks_live", TrainingSemantics.AS_SERVED, "served.csv");
    check(m, "served.csv", true);
    assertThat(m.semantics()).isEqualTo(TrainingSemantics.AS_SERVED);
    TrainingSetManifest.ViewVersion v = m.views().get(0);
    assertThat(v.firstServedAt()).isEqualTo(LabelTime.fromMicros(firstServed));
    long before = 0;
    for (int i = 0; i < labelTimes.size(); i++) {
      if (labelTimes.get(i) < firstServed) {
        before++;
      }
    }
    assertThat(before).isPositive();
    assertThat(v.labelsBeforeFirstServed()).isEqualTo(before);
    // as recorded, and rebuilt identically
    TrainingSetBuilder builder = TrainingSetBuilder.open(CATALOG, db.url);
    assertThat(builder.manifest(m.id())).contains(m);
    assertThat(builder.rebuild(m.id())).isEqualTo(m);
  }

  @Test
  void final_values_take_every_version_and_cut_the_open_tile() throws Exception {
    TrainingSetManifest m = build("clicks_live", TrainingSemantics.FINAL, "final.csv");
    check(m, "final.csv", false);
    assertThat(m.semantics()).isEqualTo(TrainingSemantics.FINAL);
    assertThat(m.views().get(0).labelsBeforeFirstServed()).isZero();
  }

  @Test
  void the_brute_force_tells_the_edges_and_the_semantics_apart() {
    // the edge labels and the two semantics must give different values, or the tests above could
    // not fail on them
    int edges = 0;
    int semantics = 0;
    for (int i = 0; i < labelTimes.size(); i++) {
      String user = labelUsers.get(i);
      long l = labelTimes.get(i);
      if (!Objects.equals(expected(user, l, true), expected(user, l, false))) {
        semantics++;
      }
    }
    for (Checkpoint c : checkpoints) {
      for (String user : List.of("u0", "u1", "u2", "u3", "ü4")) {
        if (!Objects.equals(
            expected(user, c.visibleMicros(), true), expected(user, c.visibleMicros() - 1, true))) {
          edges++;
        }
      }
    }
    assertThat(edges).isGreaterThan(5);
    assertThat(semantics).isGreaterThan(20);
  }

  @Test
  void a_view_never_served_gives_final_values_to_every_label_and_says_so() throws Exception {
    TrainingSetManifest m = build("clicks_backfilled", TrainingSemantics.AS_SERVED, "never.csv");
    check(m, "never.csv", false);
    TrainingSetManifest.ViewVersion v = m.views().get(0);
    assertThat(v.firstServedAt()).isNull();
    // every label has an entity in the view, "nobody" too (it has no tiles)
    assertThat(v.labelsBeforeFirstServed()).isEqualTo(labelTimes.size());
  }

  private Path writeLabels(String name) throws Exception {
    StringBuilder csv = new StringBuilder("user_id,event_timestamp\n");
    for (int i = 0; i < labelTimes.size(); i++) {
      csv.append(labelUsers.get(i))
          .append(',')
          .append(LabelTime.fromMicros(labelTimes.get(i)))
          .append('\n');
    }
    Path file = dir.resolve("labels-" + name);
    Files.writeString(file, csv);
    return file;
  }

  private TrainingSetManifest build(String view, TrainingSemantics semantics, String output)
      throws Exception {
    Path labels = writeLabels(output);
    return TrainingSetBuilder.open(CATALOG, db.url)
        .withMinEntitiesPerSlice(2)
        .withParallelism(2)
        .build(
            TrainingSetRequest.of(
                    LabelSource.csv(labels),
                    FeatureSelection.of(List.of(view + ":n", view + ":amount", view + ":page")),
                    TrainingSetOutput.csv(dir.resolve(output)))
                .withSemantics(semantics));
  }

  private void check(TrainingSetManifest m, String output, boolean asServed) throws Exception {
    List<String[]> lines = new ArrayList<>();
    try (var reader = Files.newBufferedReader(dir.resolve(output))) {
      Csv.RecordReader csv = new Csv.RecordReader(reader);
      String[] record;
      while ((record = csv.next()) != null) {
        lines.add(record);
      }
    }
    assertThat(lines.get(0)).containsExactly("user_id", "event_timestamp", "n", "amount", "page");
    assertThat(lines).hasSize(labelTimes.size() + 1);
    assertThat(m.rowCount()).isEqualTo(labelTimes.size());
    Map<String, Integer> mismatches = new LinkedHashMap<>();
    int withValues = 0;
    for (int i = 0; i < labelTimes.size(); i++) {
      String[] fields = lines.get(i + 1);
      List<String> want = expected(labelUsers.get(i), labelTimes.get(i), asServed);
      List<String> got = new ArrayList<>();
      got.add(fields[2]);
      got.add(fields[3] == null ? null : Double.toString(Double.parseDouble(fields[3])));
      got.add(fields[4]);
      if (want.get(0) != null) {
        withValues++;
      }
      if (!want.equals(got)) {
        mismatches.merge(
            labelUsers.get(i)
                + " at "
                + LabelTime.fromMicros(labelTimes.get(i))
                + ": expected "
                + want
                + ", got "
                + got,
            1,
            Integer::sum);
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(withValues).isGreaterThan(labelTimes.size() / 3);
  }

  /** The stored versions, for a look when a test fails. */
  static String dump() throws Exception {
    StringBuilder sb = new StringBuilder();
    try (var c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT entity_key, tile_start, version, visible_at FROM "
                    + TileTable.of(PLAN).qualifiedName()
                    + " ORDER BY 1, 2, 3")) {
      while (rs.next()) {
        sb.append(rs.getString(1)).append(' ').append(rs.getString(2)).append(" v");
        sb.append(rs.getLong(3)).append(' ').append(rs.getString(4)).append('\n');
      }
    }
    return sb.toString();
  }
}
