package io.freshet.flink.window;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A lifetime feature's state under the view's TTL: with an explicit TTL a key that saw no event for
 * the TTL loses its lifetime state (no row is written for that) and starts afresh with its next
 * event; without one, a key keeps counting across any gap in event time. Each run restores from a
 * checkpoint inside the gap, so the TTL's wake-up survives a restart.
 */
class LifetimeTtlTest {
  private static final long MIN = 60_000L;
  private static final long DAY = 24 * 60 * MIN;
  // Far enough back that every event, 400 days later too, is in the past.
  private static final long T0 = 1_577_836_800_000L; // 2020-01-01T00:00:00Z

  private static ViewPlan plan(Duration ttl) {
    Duration slide = Duration.ofMinutes(1);
    FeatureView.Builder b =
        FeatureView.named("ttl_view")
            .source(
                KafkaJsonSource.topic("events")
                    .keyedBy("user_id")
                    .eventTimeField("event_ts")
                    .withMaxOutOfOrderness(Duration.ofSeconds(10)))
            .feature(
                Feature.named("events_life").aggregate(Aggregation.count()).overLifetime(slide))
            .feature(
                Feature.named("last_seen")
                    .aggregate(Aggregation.lastEventTime())
                    .overLifetime(slide))
            .feature(
                Feature.named("events_10m")
                    .aggregate(Aggregation.count())
                    .over(SlidingWindow.of(Duration.ofMinutes(10), slide)));
    return ViewPlan.of(ttl == null ? b.build() : b.ttl(ttl).build());
  }

  @ParameterizedTest(name = "rocksdb {0}, cached keys {1}")
  @CsvSource({"false, 0", "true, 0", "false, 1", "true, 2"})
  void an_explicit_ttl_clears_a_quiet_keys_lifetime(boolean rocksdb, int cachedKeys)
      throws Exception {
    ViewPlan plan = plan(Duration.ofDays(1));
    List<FeatureRow> out = new ArrayList<>();
    var h = harness(plan, rocksdb, cachedKeys, null);
    event(h, plan, "a", T0 + 10_000);
    event(h, plan, "a", T0 + 20_000);
    event(h, plan, "b", T0 + 10 * 60 * MIN);
    h.processWatermark(T0 + 12 * 60 * MIN);
    OperatorSubtaskState snapshot = h.snapshot(1L, 1L);
    out.addAll(h.extractOutputValues());
    h.close();
    h = harness(plan, rocksdb, cachedKeys, snapshot);
    // a's last slice ended at T0 + 1 min: its lifetime ends at T0 + 1 day + 1 min; b's later.
    h.processWatermark(T0 + DAY + MIN - 2);
    assertThat(entries(h, rocksdb)).as("both keys' state before a's TTL").isIn(-1L, 4L);
    h.processWatermark(T0 + DAY + 5 * MIN);
    assertThat(entries(h, rocksdb)).as("only b's state after a's TTL").isIn(-1L, 2L);
    event(h, plan, "a", T0 + 2 * DAY);
    h.processWatermark(T0 + 2 * DAY + 30 * MIN);
    h.processWatermark(T0 + 4 * DAY);
    out.addAll(h.extractOutputValues());
    assertThat(entries(h, rocksdb)).as("no state once every key's TTL passed").isIn(-1L, 0L);
    h.close();

    assertThat(rows(out))
        .containsExactly(
            "a@" + (T0 + MIN) + " [2, " + (T0 + 20_000) + ", 2]",
            "a@" + (T0 + 11 * MIN) + " [2, " + (T0 + 20_000) + ", 0]",
            "b@" + (T0 + 601 * MIN) + " [1, " + (T0 + 600 * MIN) + ", 1]",
            "b@" + (T0 + 611 * MIN) + " [1, " + (T0 + 600 * MIN) + ", 0]",
            "a@" + (T0 + 2 * DAY + MIN) + " [1, " + (T0 + 2 * DAY) + ", 1]",
            "a@" + (T0 + 2 * DAY + 11 * MIN) + " [1, " + (T0 + 2 * DAY) + ", 0]");
  }

  @ParameterizedTest(name = "rocksdb {0}, cached keys {1}")
  @CsvSource({"false, 0", "true, 0", "false, 1", "true, 2"})
  void without_a_ttl_a_key_keeps_its_lifetime_across_any_gap(boolean rocksdb, int cachedKeys)
      throws Exception {
    ViewPlan plan = plan(null);
    assertThat(plan.view().expires()).isFalse();
    List<FeatureRow> out = new ArrayList<>();
    var h = harness(plan, rocksdb, cachedKeys, null);
    event(h, plan, "a", T0 + 10_000);
    event(h, plan, "a", T0 + 20_000);
    h.processWatermark(T0 + 30 * MIN);
    h.processWatermark(T0 + 200 * DAY);
    OperatorSubtaskState snapshot = h.snapshot(1L, 1L);
    out.addAll(h.extractOutputValues());
    h.close();
    h = harness(plan, rocksdb, cachedKeys, snapshot);
    h.processWatermark(T0 + 400 * DAY);
    assertThat(entries(h, rocksdb)).as("a's lifetime and last result").isIn(-1L, 2L);
    event(h, plan, "a", T0 + 400 * DAY + 10_000);
    h.processWatermark(Long.MAX_VALUE);
    out.addAll(h.extractOutputValues());
    assertThat(entries(h, rocksdb)).as("a's lifetime and last result").isIn(-1L, 2L);
    h.close();

    long later = T0 + 400 * DAY;
    assertThat(rows(out))
        .containsExactly(
            "a@" + (T0 + MIN) + " [2, " + (T0 + 20_000) + ", 2]",
            "a@" + (T0 + 11 * MIN) + " [2, " + (T0 + 20_000) + ", 0]",
            "a@" + (later + MIN) + " [3, " + (later + 10_000) + ", 1]",
            "a@" + (later + 11 * MIN) + " [3, " + (later + 10_000) + ", 0]");
  }

  /** The keyed state entries after a checkpoint's write-back, or -1 on RocksDB (not counted). */
  private static long entries(
      KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow> h, boolean rocksdb)
      throws Exception {
    if (rocksdb) {
      return -1;
    }
    h.snapshot(9L, 9L);
    return h.numKeyedStateEntries();
  }

  private static List<String> rows(List<FeatureRow> out) {
    return out.stream()
        .map(r -> r.entityKey() + "@" + r.featureTs() + " " + List.of(r.values()))
        .toList();
  }

  private static void event(
      KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow> h,
      ViewPlan plan,
      String key,
      long ts)
      throws Exception {
    String json = "{\"user_id\":\"" + key + "\",\"event_ts\":" + ts + "}";
    Decoded d = new EventDecoder(plan).decode(json, "events/0@" + ts);
    assertThat(d.isOk()).as(d.rejection() + " " + json).isTrue();
    Event e = d.event();
    e.raw = json;
    e.origin = "events/0@" + ts;
    h.processElement(e, ts);
  }

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
