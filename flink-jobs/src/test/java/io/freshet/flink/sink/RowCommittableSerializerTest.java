package io.freshet.flink.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.storage.FeatureRow;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RowCommittableSerializerTest {
  private final RowCommittableSerializer serializer = new RowCommittableSerializer();
  private final CommitId id = new CommitId("0f3e9d2c1b0a99887766554433221100", 3, 42, -7L);

  @Test
  void round_trips_every_value_type_and_null() throws IOException {
    RowCommittable c =
        committable(
            new FeatureRow("u1", 1_767_225_600_000L, new Object[] {7L, 1.5, "ios", List.of("a")}),
            new FeatureRow("u2", 0, new Object[] {null, null, null, null}),
            new FeatureRow("u3", -1, new Object[] {0L, -0.0, "", List.of()}));
    assertThat(roundTrip(c)).isEqualTo(c);
  }

  @Test
  void round_trips_extreme_and_unusual_values_exactly() throws IOException {
    RowCommittable c =
        committable(
            new FeatureRow(
                "usér,\"1\"\u001f製品",
                Long.MIN_VALUE,
                new Object[] {Long.MIN_VALUE, Double.NaN, "\u0000\n\"", List.of("", "{x}", "a,b")}),
            new FeatureRow(
                "",
                Long.MAX_VALUE,
                new Object[] {
                  Long.MAX_VALUE, Double.NEGATIVE_INFINITY, "x".repeat(100_000), List.of("ü")
                }),
            new FeatureRow(
                "k", 1, new Object[] {-1L, Double.MIN_VALUE, "y", List.of("z".repeat(70_000))}));
    RowCommittable back = roundTrip(c);
    assertThat(back).isEqualTo(c);
    assertThat(Double.doubleToRawLongBits((Double) back.rows().get(0).values()[1]))
        .isEqualTo(Double.doubleToRawLongBits(Double.NaN));
  }

  @Test
  void round_trips_the_id_including_unstamped_and_end_of_input() throws IOException {
    for (long checkpoint : new long[] {CommitId.UNSTAMPED, 1, CommitId.END_OF_INPUT}) {
      RowCommittable c =
          new RowCommittable(
              "v@tag",
              id.withCheckpoint(checkpoint),
              List.of(new FeatureRow("u", 1, new Object[] {1L})));
      assertThat(roundTrip(c).id()).isEqualTo(c.id());
    }
  }

  @Test
  void round_trips_large_random_committables() throws IOException {
    Random r = new Random(11);
    List<FeatureRow> rows = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      rows.add(
          new FeatureRow(
              "user-" + r.nextInt(50_000),
              1_767_225_600_000L + r.nextInt(1_000_000) * 60_000L,
              new Object[] {
                r.nextBoolean() ? null : r.nextLong() >> r.nextInt(64),
                r.nextBoolean() ? null : r.nextGaussian() * 1e6,
                r.nextInt(4) == 0 ? null : "s" + r.nextInt(),
                r.nextInt(4) == 0 ? null : List.of("p" + r.nextInt(100), "q")
              }));
    }
    RowCommittable c = committable(rows.toArray(FeatureRow[]::new));
    byte[] bytes = serializer.serialize(c);
    assertThat(serializer.deserialize(serializer.getVersion(), bytes)).isEqualTo(c);
  }

  @Test
  void layout_is_compact() throws IOException {
    byte[] bytes =
        serializer.serialize(
            committable(
                new FeatureRow(
                    "user-1234", 1_767_225_600_000L, new Object[] {12L, 19.99, "ios", null})));
    // header: view 6 + job id 33 + subtask 1 + checkpoint 8 + writer 8 + count 1 + width 1 = 58
    // row: key 10 + ts 6 + (1+1) + (1+8) + (1+4) + 1 = 33
    assertThat(bytes).hasSize(58 + 33);
  }

  @Test
  void rejects_an_unknown_layout_version_naming_both_versions() {
    assertThatThrownBy(() -> serializer.deserialize(9, new byte[0]))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "committable layout version 9 is unknown to this Freshet, which reads version 1:"
                + " restore the checkpoint with the Freshet release that wrote it, or one newer");
  }

  @Test
  void rejects_truncated_bytes_instead_of_inventing_rows() throws IOException {
    byte[] bytes =
        serializer.serialize(
            committable(new FeatureRow("u", 5, new Object[] {1L, 2.0, "three", List.of("4")})));
    for (int cut = 0; cut < bytes.length; cut++) {
      byte[] truncated = Arrays.copyOf(bytes, cut);
      assertThatThrownBy(() -> serializer.deserialize(1, truncated))
          .as("cut at %d of %d bytes", cut, bytes.length)
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void rejects_values_rows_never_hold() {
    RowCommittable c = committable(new FeatureRow("u", 1, new Object[] {1, 2.0, "s", null}));
    assertThatThrownBy(() -> serializer.serialize(c))
        .isInstanceOf(IOException.class)
        .hasMessage(
            "a row of v@tag holds a java.lang.Integer; rows hold Long, Double, String,"
                + " List<String> or null");
  }

  private RowCommittable committable(FeatureRow... rows) {
    return new RowCommittable("v@tag", id, List.of(rows));
  }

  private RowCommittable roundTrip(RowCommittable c) throws IOException {
    return serializer.deserialize(serializer.getVersion(), serializer.serialize(c));
  }
}
