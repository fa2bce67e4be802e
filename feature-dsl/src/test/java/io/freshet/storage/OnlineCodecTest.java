package io.freshet.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.examples.UserActivity;
import io.freshet.plan.ViewPlan;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnlineCodecTest {
  private final ViewPlan plan = ViewPlan.of(UserActivity.view());
  private final OnlineCodec codec = new OnlineCodec(plan);

  @Test
  void round_trips_random_rows_exactly() {
    Random r = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      Object[] values = {
        r.nextInt(10) == 0 ? null : r.nextLong() >> r.nextInt(64),
        r.nextInt(10) == 0 ? null : (long) r.nextInt(100),
        r.nextInt(10) == 0 ? null : r.nextDouble() * 1e6 - 5e5
      };
      FeatureRow row = new FeatureRow("user_" + i, r.nextLong() >>> 20, values);
      assertThat(codec.decode(row.entityKey(), codec.encode(row))).isEqualTo(row);
    }
  }

  @Test
  void layout_is_compact() {
    FeatureRow row = new FeatureRow("u", 1_763_870_400_000L, new Object[] {12L, 1L, 19.99});
    byte[] bytes = codec.encode(row);
    // version 1 + ts 8 + count 1 + bitmap 1 + varint(24) 1 + varint(2) 1 + double 8
    assertThat(bytes).hasSize(21);
    assertThat(bytes[0]).isEqualTo(OnlineCodec.FORMAT_VERSION);
    assertThat(OnlineCodec.featureTs(bytes)).isEqualTo(1_763_870_400_000L);
  }

  @Test
  void rejects_unknown_format_version() {
    byte[] bytes = codec.encode(new FeatureRow("u", 1L, new Object[] {1L, 0L, 0.0}));
    bytes[0] = 9;
    assertThatThrownBy(() -> codec.decode("u", bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "online value for view 'user_activity' has format version 9, this reader understands"
                + " 1 (upgrade the reader)");
  }

  @Test
  void rejects_truncated_values() {
    byte[] bytes = codec.encode(new FeatureRow("u", 1L, new Object[] {1L, 0L, 5.5}));
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
