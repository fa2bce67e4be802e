package io.freshet.flink.window;

import static io.freshet.flink.window.SlicingWindowOracleTest.BOUND;
import static io.freshet.flink.window.SlicingWindowOracleTest.MIN;
import static io.freshet.flink.window.SlicingWindowOracleTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.flink.window.BruteForceWindows.Ev;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The operator's heap cache of keys' state against {@link BruteForceWindows}: bounds far below the
 * number of keys, so that keys are evicted and written back all the time, with disorder, late
 * events within and beyond the allowed lateness, a checkpoint taken midway without a restore (the
 * run goes on with the entries written back) and one restored from, on the heap and RocksDB
 * backends. A checkpoint restored into the plain function (no cache) must hold the same state, and
 * the state left after the last window, once written back, must be empty.
 */
class SlicingWindowCacheOracleTest {

  @ParameterizedTest(name = "seed {0}, rocksdb {1}, cached keys {2}, lateness {3} min, plain {4}")
  @CsvSource({
    "11, false, 1, 0, false",
    "12, true, 1, 0, false",
    "13, false, 3, 20, false",
    "14, true, 3, 20, true",
    "15, false, 7, 180, true",
    "16, true, 7, 180, false",
    "17, true, 1000, 20, false",
    "18, false, 2, 0, true"
  })
  void cached_operator_rows_equal_brute_force(
      long seed, boolean rocksdb, int cachedKeys, int latenessMinutes, boolean restorePlain)
      throws Exception {
    long lateness = latenessMinutes * MIN;
    ViewPlan plan = SlicingWindowOracleTest.plan(Duration.ofMinutes(latenessMinutes));
    EventDecoder decoder = new EventDecoder(plan);
    Random r = new Random(seed);
    int n = 12_000;
    long t = T0;
    long watermark = Long.MIN_VALUE;
    long maxTs = Long.MIN_VALUE;
    List<Ev> accepted = new ArrayList<>();
    List<Ev> late = new ArrayList<>();
    int lateAccepted = 0;

    var harness = harness(plan, rocksdb, cachedKeys, null);
    List<FeatureRow> output = new ArrayList<>();
    List<RejectedEvent> lateOut = new ArrayList<>();
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
      harness.processElement(e, ts);
      if (watermark != Long.MIN_VALUE && ts <= watermark - lateness) {
        late.add(ev);
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
          harness.processWatermark(wm);
        }
      }
      if (i == n / 4) {
        // A checkpoint that is never restored: the run goes on from the written-back entries.
        harness.snapshot(1L, 1L);
      }
      if (i == n / 2) {
        OperatorSubtaskState snapshot = harness.snapshot(2L, 2L);
        output.addAll(harness.extractOutputValues());
        SlicingWindowOracleTest.drainLate(harness, lateOut);
        harness.close();
        harness = harness(plan, rocksdb, restorePlain ? 0 : cachedKeys, snapshot);
      }
    }
    harness.processWatermark(Long.MAX_VALUE);
    output.addAll(harness.extractOutputValues());
    SlicingWindowOracleTest.drainLate(harness, lateOut);
    if (!rocksdb) {
      harness.snapshot(3L, 3L);
      assertThat(harness.numKeyedStateEntries()).as("state left after the last window").isZero();
    }
    harness.close();

    assertThat(late).as("generator produced events beyond the lateness").isNotEmpty();
    if (lateness > 0) {
      assertThat(lateAccepted).as("generator produced events within the lateness").isPositive();
    }
    SlicingWindowOracleTest.assertValuesInEffect(plan, output, accepted);
    if (lateness == 0) {
      SlicingWindowOracleTest.assertOnlyChangesWritten(output, accepted);
    }
    assertThat(lateOut)
        .extracting(l -> l.eventTs)
        .containsExactlyInAnyOrderElementsOf(late.stream().map(Ev::ts).toList());
  }

  /** The operator with at most {@code cachedKeys} keys cached, or the plain function for 0. */
  private static KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow> harness(
      ViewPlan plan, boolean rocksdb, int cachedKeys, OperatorSubtaskState restore)
      throws Exception {
    SlicingWindowFunction function = new SlicingWindowFunction(plan);
    var h =
        new KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow>(
            cachedKeys == 0
                ? new KeyedProcessOperator<>(function)
                : new SlicingWindowOperator(function, cachedKeys),
            e -> e.key,
            Types.STRING);
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
