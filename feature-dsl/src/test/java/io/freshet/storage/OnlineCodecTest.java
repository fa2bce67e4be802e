package io.freshet.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.examples.UserActivity;
import io.freshet.plan.ViewPlan;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnlineCodecTest {
  private final ViewPlan plan = ViewPlan.of(UserActivity.view());
  private final OnlineCodec codec = new OnlineCodec(plan);

  @Test
  void round_trips_random_rows_exactly() {
    Random r = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      Object[] values = new Object[plan.parts().size()];
      for (int p = 0; p < values.length; p++) {
        if (r.nextInt(10) == 0) {
          continue;
        }
        values[p] =
            switch (plan.parts().get(p).type()) {
              case INT64 -> r.nextLong() >> r.nextInt(64);
              case FLOAT64 -> r.nextDouble() * 1e6 - 5e5;
              case STRING -> "v\u00e9\u4e16" + r.nextInt();
              case STRING_LIST -> List.of("a" + r.nextInt(), "", "z");
            };
      }
      FeatureRow row = new FeatureRow("user_" + i, r.nextLong() >>> 20, values);
      assertThat(codec.decode(row.entityKey(), codec.encode(row))).isEqualTo(row);
    }
  }

  @Test
  void layout_is_compact() {
    FeatureRow row =
        new FeatureRow(
            "u", 1_763_870_400_000L, new Object[] {12L, 1L, 19.99, 3L, 5L, "ios", 1 / 12.0, 19.99});
    byte[] bytes = codec.encode(row);
    // version 1 + ts 8 + count 1 + bitmap 1 + 4 one-byte varints + 3 doubles 24 + "ios" 4
    assertThat(bytes).hasSize(43);
    assertThat(bytes[0]).isEqualTo(OnlineCodec.FORMAT_VERSION);
    assertThat(OnlineCodec.featureTs(bytes)).isEqualTo(1_763_870_400_000L);
  }

  @Test
  void rejects_unknown_format_version() {
    byte[] bytes =
        codec.encode(new FeatureRow("u", 1L, new Object[] {1L, 0L, 0.0, 1L, 0L, null, 0.0, 0.0}));
    bytes[0] = 9;
    assertThatThrownBy(() -> codec.decode("u", bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "online value for view 'user_activity' has format version 9, this reader understands"
                + " 1 (upgrade the reader)");
  }

  @Test
  void rejects_truncated_values() {
    byte[] bytes =
        codec.encode(new FeatureRow("u", 1L, new Object[] {1L, 0L, 5.5, 1L, 0L, "web", 0.0, 0.0}));
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 3);
    assertThatThrownBy(() -> codec.decode("u", cut))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is truncated");
  }

  @Test
  void keys_carry_a_hash_tag_on_the_entity() {
    assertThat(OnlineKeys.key(plan, "user_42"))
        .isEqualTo("f:{user_42}:user_activity:" + plan.versionTag());
  }
}
