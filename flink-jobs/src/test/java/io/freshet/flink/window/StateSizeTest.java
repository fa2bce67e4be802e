package io.freshet.flink.window;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.aggregate.event.Decoded;
import io.freshet.aggregate.event.Event;
import io.freshet.aggregate.event.EventDecoder;
import io.freshet.examples.UserActivity;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What an active key of {@code user_activity} costs in checkpointed state: 2,000 users with about
 * 20 events each over the last hour (4 live slices, a few sessions and products each), measured as
 * the operator's checkpoint size divided by the keys. Prints the figure; asserts only a generous
 * ceiling that catches a regression to per-window or per-event state.
 */
class StateSizeTest {
  private static final long MIN = 60_000L;

  @ParameterizedTest(name = "rocksdb {0}")
  @ValueSource(booleans = {false, true})
  void reports_bytes_per_active_key(boolean rocksdb) throws Exception {
    ViewPlan plan = ViewPlan.of(UserActivity.view());
    EventDecoder decoder = new EventDecoder(plan);
    var h =
        new KeyedOneInputStreamOperatorTestHarness<String, Event, FeatureRow>(
            new KeyedProcessOperator<>(new SlicingWindowFunction(plan)), e -> e.key, Types.STRING);
    if (rocksdb) {
      h.setStateBackend(new EmbeddedRocksDBStateBackend());
    }
    h.open();
    int users = 2000;
    long t0 = 1_767_225_600_000L;
    Random r = new Random(1);
    String[] types = {"view", "view", "click", "add_to_cart", "purchase"};
    for (int i = 0; i < users * 20; i++) {
      long ts = t0 + r.nextInt((int) (60 * MIN));
      String type = types[r.nextInt(types.length)];
      String json =
          "{\"user_id\":\"user_"
              + String.format("%05d", r.nextInt(users))
              + "\",\"event_type\":\""
              + type
              + "\",\"product_id\":\"p_"
              + r.nextInt(5000)
              + "\",\"session_id\":\"s_"
              + r.nextInt(1_000_000)
              + "\",\"platform\":\"ios\""
              + ("purchase".equals(type) ? ",\"revenue\":12.5" : "")
              + ",\"event_ts\":"
              + ts
              + "}";
      Decoded d = decoder.decode(json, "o");
      h.processElement(d.event(), ts);
    }
    h.processWatermark(t0 + 60 * MIN - 1);
    OperatorSubtaskState snapshot = h.snapshot(1L, 1L);
    long bytes = snapshot.getStateSize();
    h.close();
    double perKey = (double) bytes / users;
    System.out.printf(
        "user_activity state (%s): %d bytes for %d active keys = %.0f bytes per active key%n",
        rocksdb ? "RocksDB checkpoint" : "heap checkpoint", bytes, users, perKey);
    assertThat(perKey).isLessThan(4096);
  }
}
