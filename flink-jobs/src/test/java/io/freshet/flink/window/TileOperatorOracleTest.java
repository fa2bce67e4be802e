package io.freshet.flink.window;

import static io.freshet.flink.window.SlicingWindowOracleTest.BOUND;
import static io.freshet.flink.window.SlicingWindowOracleTest.MIN;
import static io.freshet.flink.window.SlicingWindowOracleTest.SPECS;
import static io.freshet.flink.window.SlicingWindowOracleTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.RequestTimeRule;
import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.flink.window.BruteForceWindows.Ev;
import io.freshet.flink.window.BruteForceWindows.Spec;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@link TileOperator} against a brute force over the accepted raw events, on generated streams
 * with disorder, late events within and beyond the allowed lateness, many keys, every aggregation
 * kind and several window sizes, on the heap and RocksDB backends, with checkpoints (the emission
 * before each barrier) and, in some runs, a failure after a checkpoint: the run goes on past it,
 * its output is thrown away, and a new operator restored from the checkpoint replays the events
 * since then, as Flink does.
 *
 * <p>The oracle classifies each event as accepted or late from the watermarks the test emits, and
 * for every (entity, tile start) counts the accepted events and aggregates them exactly; the newest
 * emitted version of each tile must carry that count as its version and those values. Request-time
 * values merged from the newest tiles by {@link RequestTimeRule} at tile boundaries must equal the
 * brute-force windows ending there.
 */
class TileOperatorOracleTest {

  private record Watermark(long value) {}

  private record Checkpoint(long id) {}

  private record Input(Event event, long ts) {}

  @ParameterizedTest(name = "seed {0}, rocksdb {1}, restore {2}, lateness {3} min, tile {4} min")
  @CsvSource({
    "1, false, false, 0, 15",
    "2, true, false, 0, 5",
    "3, false, true, 0, 5",
    "4, true, true, 0, 15",
    "5, false, false, 20, 5",
    "6, true, true, 20, 5",
    "7, false, true, 180, 15",
    "8, true, true, 180, 5"
  })
  void newest_tiles_equal_brute_force(
      long seed, boolean rocksdb, boolean restore, int latenessMinutes, int tileMinutes)
      throws Exception {
    long lateness = latenessMinutes * MIN;
    ViewPlan plan =
        ViewPlan.of(
            SlicingWindowOracleTest.view(Duration.ofMinutes(latenessMinutes))
                .servedAtRequestTime(Duration.ofMinutes(tileMinutes))
                .build());
    long tile = plan.tileMillis();
    assertThat(tile).isEqualTo(tileMinutes * MIN);
    EventDecoder decoder = new EventDecoder(plan);
    Random r = new Random(seed);
    int n = 10_000;

    // The script every run follows, and the oracle's view of it.
    List<Object> script = new ArrayList<>();
    List<Ev> accepted = new ArrayList<>();
    List<Long> late = new ArrayList<>();
    int lateAccepted = 0;
    long t = T0;
    long watermark = Long.MIN_VALUE;
    long maxTs = Long.MIN_VALUE;
    long checkpoint = 0;
    int restoreAt = -1;
    for (int i = 0; i < n; i++) {
      t += r.nextInt(20_000);
      long ts = t - (long) (r.nextDouble() * BOUND);
      if (r.nextInt(40) == 0) {
        ts = t - BOUND - r.nextInt((int) ((60 + latenessMinutes) * MIN));
      }
      Ev ev = SlicingWindowOracleTest.randomEvent(r, "user_" + r.nextInt(30), ts);
      String json = SlicingWindowOracleTest.json(ev, r);
      Decoded d = decoder.decode(json, "events/0@" + i);
      assertThat(d.isOk()).as(d.rejection() + " " + json).isTrue();
      Event e = d.event();
      e.raw = json;
      e.origin = "events/0@" + i;
      script.add(new Input(e, ts));
      if (watermark != Long.MIN_VALUE && ts <= watermark - lateness) {
        late.add(ts);
      } else {
        accepted.add(ev);
        if (ts <= watermark) {
          lateAccepted++;
        }
      }
      maxTs = Math.max(maxTs, ts);
      if (i % 50 == 49) {
        long wm = maxTs - BOUND - 1;
        if (wm > watermark) {
          watermark = wm;
          script.add(new Watermark(wm));
        }
      }
      if (i % 170 == 169) {
        script.add(new Checkpoint(++checkpoint));
        if (restore && restoreAt < 0 && i > n / 2) {
          restoreAt = script.size() - 1;
        }
      }
    }

    TileOperator operator = new TileOperator(plan);
    var harness = harness(operator, rocksdb, null);
    List<List<Tile>> batches = new ArrayList<>();
    List<RejectedEvent> lateOut = new ArrayList<>();
    OperatorSubtaskState snapshot = null;
    int from = 0;
    for (int s = 0; s < script.size(); s++) {
      step(harness, script.get(s), batches, lateOut);
      if (s == restoreAt) {
        snapshot = harness.snapshot(checkpoint(script.get(s)), 0L);
        from = s + 1;
        break;
      }
    }
    if (snapshot != null) {
      // Run on past the checkpoint, then fail: everything emitted since is lost.
      List<List<Tile>> lost = new ArrayList<>();
      for (int s = from; s < Math.min(script.size(), from + 900); s++) {
        step(harness, script.get(s), lost, new ArrayList<>());
      }
      assertThat(lost).as("the failed run emitted tiles after the checkpoint").isNotEmpty();
      harness.close();
      operator = new TileOperator(plan);
      harness = harness(operator, rocksdb, snapshot);
      for (int s = from; s < script.size(); s++) {
        step(harness, script.get(s), batches, lateOut);
      }
    }
    harness.processWatermark(Long.MAX_VALUE);
    batches.add(drain(harness, lateOut));
    assertThat(operator.dirtyTiles()).as("tiles left unemitted").isZero();
    if (!rocksdb) {
      assertThat(harness.numKeyedStateEntries()).as("state left after the last tile").isZero();
    }
    harness.close();

    assertThat(late).as("generator produced events beyond the lateness").isNotEmpty();
    if (lateness > 0) {
      assertThat(lateAccepted).as("generator produced events within the lateness").isPositive();
    }
    assertThat(lateOut).extracting(l -> l.eventTs).containsExactlyInAnyOrderElementsOf(late);
    assertThat(lateOut).allSatisfy(l -> assertThat(l.payload).contains("\"user_id\""));
    assertThat(lateOut)
        .allSatisfy(l -> assertThat(l.reason).contains("is not after the watermark"));

    Map<String, TreeMap<Long, Tile>> newest = newestTiles(batches);
    assertTilesEqualBruteForce(plan, newest, accepted, tile);
    assertRequestTimeValues(plan, newest, accepted, tile);
  }

  /** The newest version of each tile; each tile at most once per checkpoint, versions rising. */
  private static Map<String, TreeMap<Long, Tile>> newestTiles(List<List<Tile>> batches) {
    Map<String, TreeMap<Long, Tile>> newest = new TreeMap<>();
    int emitted = 0;
    for (List<Tile> batch : batches) {
      Set<String> seen = new HashSet<>();
      for (Tile tl : batch) {
        emitted++;
        assertThat(seen.add(tl.entityKey() + "@" + tl.start()))
            .as("%s emitted twice before one barrier", tl)
            .isTrue();
        Tile previous =
            newest.computeIfAbsent(tl.entityKey(), k -> new TreeMap<>()).put(tl.start(), tl);
        if (previous != null) {
          assertThat(tl.version())
              .as("version after %s", previous)
              .isGreaterThan(previous.version());
        }
      }
    }
    int tiles = newest.values().stream().mapToInt(Map::size).sum();
    assertThat(emitted).as("tiles emitted again after later events").isGreaterThan(tiles);
    return newest;
  }

  /** Per (entity, tile start): version = accepted events in the tile, values = their aggregates. */
  private static void assertTilesEqualBruteForce(
      ViewPlan plan, Map<String, TreeMap<Long, Tile>> newest, List<Ev> accepted, long tile) {
    Map<String, TreeMap<Long, List<Ev>>> byTile = new TreeMap<>();
    for (Ev e : accepted) {
      byTile
          .computeIfAbsent(e.key(), k -> new TreeMap<>())
          .computeIfAbsent(Math.floorDiv(e.ts(), tile) * tile, s -> new ArrayList<>())
          .add(e);
    }
    Map<String, Set<Long>> wantStarts = new TreeMap<>();
    byTile.forEach((k, m) -> wantStarts.put(k, m.keySet()));
    Map<String, Set<Long>> gotStarts = new TreeMap<>();
    newest.forEach((k, m) -> gotStarts.put(k, m.keySet()));
    assertThat(gotStarts).as("tiles emitted").isEqualTo(wantStarts);

    List<Spec> tileSpecs =
        SPECS.stream().map(s -> new Spec(s.kind(), s.field(), s.purchasesOnly(), tile)).toList();
    RequestTimeRule rule = new RequestTimeRule(plan);
    for (var key : byTile.entrySet()) {
      for (var start : key.getValue().entrySet()) {
        Tile got = newest.get(key.getKey()).get(start.getKey());
        String at = key.getKey() + "@" + start.getKey();
        assertThat(got.version()).as(at + " version").isEqualTo(start.getValue().size());
        long end = start.getKey() + tile;
        FeatureRow row = rule.valueAt(key.getKey(), List.of(got), end);
        SlicingWindowOracleTest.assertMatches(
            plan, row, BruteForceWindows.window(start.getValue(), tileSpecs, end), at);
      }
    }
  }

  /** The value served at each tile boundary t equals the brute-force windows ending at t. */
  private static void assertRequestTimeValues(
      ViewPlan plan, Map<String, TreeMap<Long, Tile>> newest, List<Ev> accepted, long tile) {
    Map<String, List<Ev>> byKey = new HashMap<>();
    for (Ev e : accepted) {
      byKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e);
    }
    RequestTimeRule rule = new RequestTimeRule(plan);
    int checked = 0;
    for (var entry : newest.entrySet()) {
      TreeMap<Long, Tile> tiles = entry.getValue();
      List<Tile> all = List.copyOf(tiles.values());
      List<Ev> evs = byKey.get(entry.getKey());
      for (long t = tiles.firstKey() + tile; t <= tiles.lastKey() + tile; t += tile) {
        FeatureRow row = rule.valueAt(entry.getKey(), all, t);
        assertThat(row).as("%s at %d", entry.getKey(), t).isNotNull();
        SlicingWindowOracleTest.assertMatches(
            plan, row, BruteForceWindows.window(evs, SPECS, t), entry.getKey() + " at " + t);
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(1000);
  }

  private static long checkpoint(Object step) {
    return ((Checkpoint) step).id();
  }

  private static void step(
      KeyedOneInputStreamOperatorTestHarness<String, Event, Tile> h,
      Object step,
      List<List<Tile>> batches,
      List<RejectedEvent> lateOut)
      throws Exception {
    if (step instanceof Input in) {
      h.processElement(in.event(), in.ts());
    } else if (step instanceof Watermark w) {
      h.processWatermark(w.value());
    } else {
      h.prepareSnapshotPreBarrier(((Checkpoint) step).id());
      batches.add(drain(h, lateOut));
    }
  }

  /** The tiles emitted since the last drain; late events go to {@code lateOut}. */
  private static List<Tile> drain(
      KeyedOneInputStreamOperatorTestHarness<String, Event, Tile> h, List<RejectedEvent> lateOut) {
    List<Tile> tiles = new ArrayList<>(h.extractOutputValues());
    h.getOutput().clear();
    var q = h.getSideOutput(SlicingWindowFunction.LATE);
    if (q != null) {
      for (StreamRecord<RejectedEvent> rec : q) {
        lateOut.add(rec.getValue());
      }
      q.clear();
    }
    return tiles;
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, Event, Tile> harness(
      TileOperator operator, boolean rocksdb, OperatorSubtaskState restore) throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<String, Event, Tile>(
            operator, e -> e.key, Types.STRING);
    if (rocksdb) {
      h.setStateBackend(new EmbeddedRocksDBStateBackend());
    }
    if (restore != null) {
      h.initializeState(restore);
    }
    h.open();
    return h;
  }
}
