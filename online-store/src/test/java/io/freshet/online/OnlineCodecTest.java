package io.freshet.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.examples.UserActivity;
import io.freshet.plan.DerivedValues;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnlineCodecTest {
  private final ViewPlan plan = ViewPlan.of(UserActivity.view());
  private final OnlineCodec codec = new OnlineCodec(plan);

  @Test
  void round_trips_random_rows_exactly_with_derived_values_recomputed() {
    Random r = new Random(42);
    DerivedValues derived = DerivedValues.of(plan);
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
      FeatureRow written = new FeatureRow("user_" + i, r.nextLong() >>> 20, values.clone());
      derived.fill(values);
      FeatureRow expected = new FeatureRow(written.entityKey(), written.featureTs(), values);

      assertThat(codec.decode(written.entityKey(), codec.encode(written))).isEqualTo(expected);
    }
  }

  @Test
  void derived_values_are_not_stored_but_read_back() {
    FeatureRow row =
        new FeatureRow(
            "u", 1_763_870_400_000L, new Object[] {12L, 1L, 19.99, 3L, 5L, "ios", 1 / 12.0, 19.99});
    Object[] garbage = row.values().clone();
    garbage[6] = 123.0;
    garbage[7] = null;

    byte[] bytes = codec.encode(row);

    assertThat(codec.encode(new FeatureRow("u", row.featureTs(), garbage))).isEqualTo(bytes);
    assertThat(codec.decode("u", bytes)).isEqualTo(row);
  }

  @Test
  void layout_is_compact() {
    FeatureRow row =
        new FeatureRow(
            "u", 1_763_870_400_000L, new Object[] {12L, 1L, 19.99, 3L, 5L, "ios", 1 / 12.0, 19.99});
    byte[] bytes = codec.encode(row);
    // version 1 + ts 8 + count 1 + bitmap 1 + 4 one-byte varints + 1 double 8 + "ios" 4
    assertThat(bytes).hasSize(27);
    assertThat(bytes[0]).isEqualTo(OnlineCodec.FORMAT_VERSION);
    assertThat(bytes[9]).as("stored values: the aggregated parts only").isEqualTo((byte) 6);
    assertThat(OnlineCodec.featureTs(bytes)).isEqualTo(1_763_870_400_000L);
  }

  /**
   * Redis keeps a string of at most 44 bytes in one allocation with its header (embstr); a longer
   * one takes a second allocation, about 16 bytes more per entity.
   */
  @Test
  void realistic_user_activity_values_fit_in_a_redis_embedded_string() {
    Random r = new Random(7);
    String[] platforms = {"ios", "web", "android", "tablet", "smart_tv", "desktop_pc"};
    int longest = 0;
    for (int i = 0; i < 100_000; i++) {
      long events = 1 + r.nextInt(10_000);
      long purchases = r.nextInt((int) Math.min(events, 10_000) + 1);
      Double revenue =
          purchases == 0 ? null : Math.round(r.nextDouble() * 500 * purchases * 100) / 100.0;
      long sessions = 1 + r.nextInt(10_000);
      long products = r.nextInt(10_001);
      String platform = platforms[r.nextInt(platforms.length)];
      FeatureRow row =
          new FeatureRow(
              "user_" + i,
              1_763_870_400_000L + 900_000L * r.nextInt(100_000),
              new Object[] {events, purchases, revenue, sessions, products, platform, null, null});
      longest = Math.max(longest, codec.encode(row).length);
    }
    FeatureRow worst =
        new FeatureRow(
            "u",
            Long.MAX_VALUE,
            new Object[] {10_000L, 10_000L, 1e9 / 3, 10_000L, 10_000L, "desktop_pc", null, null});
    assertThat(codec.encode(worst)).hasSize(42);
    assertThat(longest).isLessThanOrEqualTo(44);
  }

  @Test
  void rejects_a_version_1_value_naming_the_fix() {
    byte[] bytes =
        codec.encode(new FeatureRow("u", 1L, new Object[] {1L, 0L, 0.0, 1L, 0L, null, 0.0, 0.0}));
    bytes[0] = 1;
    assertThatThrownBy(() -> codec.decode("u", bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "online value for view 'user_activity' has format version 1, this reader expects 2"
                + " (an older layout: rewrite the online table with 'freshet restore-online')");
  }

  @Test
  void rejects_unknown_format_version() {
    byte[] bytes =
        codec.encode(new FeatureRow("u", 1L, new Object[] {1L, 0L, 0.0, 1L, 0L, null, 0.0, 0.0}));
    bytes[0] = 9;
    assertThatThrownBy(() -> codec.decode("u", bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "online value for view 'user_activity' has format version 9, this reader expects 2"
                + " (a newer layout: upgrade the reader)");
  }

  @Test
  void rejects_a_value_count_that_is_not_the_aggregated_part_count() {
    byte[] bytes =
        codec.encode(new FeatureRow("u", 1L, new Object[] {1L, 0L, 0.0, 1L, 0L, null, 0.0, 0.0}));
    bytes[9] = 8;
    assertThatThrownBy(() -> codec.decode("u", bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "online value for view 'user_activity' holds 8 values, the plan has 6 aggregated"
                + " parts");
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
}
