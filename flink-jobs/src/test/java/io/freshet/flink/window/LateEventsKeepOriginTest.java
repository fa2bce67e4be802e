package io.freshet.flink.window;

import static io.freshet.flink.window.SlicingWindowOracleTest.MIN;
import static io.freshet.flink.window.SlicingWindowOracleTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.flink.source.RejectedEvent;
import io.freshet.flink.source.SplitRejected;
import io.freshet.plan.ViewPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Events pass through {@link SplitRejected} into the operator of a view (the {@link TileOperator}
 * of a request-time view, the {@link SlicingWindowFunction} of a window-end view) whose watermark
 * is ahead of the one {@link SplitRejected} has seen, as after a restore (the operator judges
 * lateness against the watermark it checkpointed, the decoding step starts again from nothing) and
 * after an idle input resumes (it is left out of the operator's watermark until it catches up).
 * Every event rejected as late must keep its raw payload and its own origin: the rejected events
 * are keyed by view, kind and origin, so late events without an origin would collapse into one
 * stored row and go missing from the accounting of the view's input.
 */
class LateEventsKeepOriginTest {
  private static final long WATERMARK = T0 + 120 * MIN;

  @ParameterizedTest(name = "request time {0}")
  @ValueSource(booleans = {true, false})
  void late_events_after_a_restore_keep_payload_and_origin(boolean requestTime) throws Exception {
    ViewPlan plan = plan(requestTime);
    // Before the failure: the operator saw the watermark and checkpointed it.
    var before = operator(plan, null);
    before.processWatermark(WATERMARK);
    EventDecoder decoder = new EventDecoder(plan);
    Random r = new Random(1);
    long onTime = WATERMARK + MIN;
    Decoded d =
        decoder.decode(
            SlicingWindowOracleTest.json(SlicingWindowOracleTest.randomEvent(r, "v", onTime), r),
            "events/0@99");
    before.processElement(d.event(), onTime);
    OperatorSubtaskState checkpoint = before.snapshot(1L, 0L);
    before.close();

    // After the restore: a new decoding step has seen no watermark yet.
    var restored = operator(plan, checkpoint);
    var split = split(plan);
    List<String> origins = feed(plan, split, restored, 7);
    assertRejectedWhole(restored, origins);
    split.close();
    restored.close();
  }

  @ParameterizedTest(name = "request time {0}")
  @ValueSource(booleans = {true, false})
  void late_events_of_a_resumed_idle_input_keep_payload_and_origin(boolean requestTime)
      throws Exception {
    ViewPlan plan = plan(requestTime);
    // The other input moved the operator's watermark on while this one was idle.
    var operator = operator(plan, null);
    operator.processWatermark(WATERMARK);
    var split = split(plan);
    split.processWatermark(WATERMARK - 30 * MIN);
    List<String> origins = feed(plan, split, operator, 5);
    assertRejectedWhole(operator, origins);
    split.close();
    operator.close();
  }

  private static ViewPlan plan(boolean requestTime) {
    var view = SlicingWindowOracleTest.view(Duration.ZERO);
    return ViewPlan.of(requestTime ? view.servedAtRequestTime().build() : view.build());
  }

  /**
   * Decodes {@code n} events, each before the operator's watermark and after the decoding step's,
   * passes them through {@code split} into {@code operator}; returns their origins.
   */
  private static List<String> feed(
      ViewPlan plan,
      OneInputStreamOperatorTestHarness<Decoded, Event> split,
      KeyedOneInputStreamOperatorTestHarness<String, Event, Object> operator,
      int n)
      throws Exception {
    EventDecoder decoder = new EventDecoder(plan);
    Random r = new Random(n);
    List<String> origins = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long ts = WATERMARK - (i + 1) * MIN;
      String json =
          SlicingWindowOracleTest.json(SlicingWindowOracleTest.randomEvent(r, "u", ts), r);
      String origin = "events/0@" + (100 + i);
      Decoded d = decoder.decode(json, origin);
      assertThat(d.isOk()).as(d.rejection()).isTrue();
      split.processElement(d, ts);
      origins.add(origin);
    }
    for (Event e : split.extractOutputValues()) {
      operator.processElement(e, e.timestamp);
    }
    return origins;
  }

  private static void assertRejectedWhole(
      KeyedOneInputStreamOperatorTestHarness<String, Event, Object> operator,
      List<String> origins) {
    var late = operator.getSideOutput(SlicingWindowFunction.LATE);
    assertThat(late).as("late events").isNotNull();
    List<RejectedEvent> rejected =
        late.stream().map(StreamRecord::getValue).map(RejectedEvent.class::cast).toList();
    assertThat(rejected)
        .extracting(e -> e.origin)
        .as("origins of the late events")
        .containsExactlyElementsOf(origins);
    assertThat(rejected)
        .allSatisfy(
            e -> {
              assertThat(e.kind).isEqualTo(RejectedEvent.Kind.LATE);
              assertThat(e.payload).as("payload of %s", e.origin).contains("\"user_id\"");
            });
  }

  private static OneInputStreamOperatorTestHarness<Decoded, Event> split(ViewPlan plan)
      throws Exception {
    var h =
        new OneInputStreamOperatorTestHarness<>(
            new ProcessOperator<>(new SplitRejected(plan.name())));
    h.open();
    return h;
  }

  private static KeyedOneInputStreamOperatorTestHarness<String, Event, Object> operator(
      ViewPlan plan, OperatorSubtaskState restore) throws Exception {
    @SuppressWarnings({"unchecked", "rawtypes"})
    OneInputStreamOperator<Event, Object> op =
        plan.requestTime()
            ? (OneInputStreamOperator) new TileOperator(plan)
            : (OneInputStreamOperator) new KeyedProcessOperator<>(new SlicingWindowFunction(plan));
    var h =
        new KeyedOneInputStreamOperatorTestHarness<String, Event, Object>(
            op, e -> e.key, Types.STRING);
    if (restore != null) {
      h.initializeState(restore);
    }
    h.open();
    return h;
  }
}
