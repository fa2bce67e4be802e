package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The merge alone, on rows as COPY would stream them. */
class AsOfJoinTest {
  private static final long DELAY = 10;
  private static final long TTL = 100;

  private static byte[] row(String key, long ts, String value) {
    return (key + "\t" + ts + "\t" + value + "\n").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void each_label_takes_the_latest_row_visible_and_unexpired_at_its_time() {
    long[] times = {5, 19, 20, 29, 30, 119, 120, 135, 50};
    Map<String, AsOfJoin.Group> groups = new HashMap<>();
    groups.put("a", new AsOfJoin.Group(new int[] {0, 1, 2, 3, 4, 5, 6, 7}));
    groups.put("b", new AsOfJoin.Group(new int[] {8}));
    String[][] picked = new String[times.length][];
    AsOfJoin join = new AsOfJoin(groups, times, DELAY, TTL, 1, picked);

    for (byte[] r : List.of(row("a", 10, "x"), row("a", 20, "y"), row("z", 0, "other"))) {
      join.accept(r);
    }
    join.finish();

    assertThat(values(picked)).containsExactly(null, null, "x", "x", "y", "y", null, null, null);
  }

  @Test
  void refuses_an_entity_that_arrives_in_two_runs_or_out_of_time_order() {
    Map<String, AsOfJoin.Group> groups = new HashMap<>();
    groups.put("a", new AsOfJoin.Group(new int[] {0}));
    groups.put("b", new AsOfJoin.Group(new int[] {1}));
    AsOfJoin split = new AsOfJoin(groups, new long[] {100, 100}, 0, TTL, 1, new String[2][]);
    split.accept(row("a", 1, "x"));
    split.accept(row("b", 1, "x"));
    assertThatThrownBy(() -> split.accept(row("a", 2, "x")))
        .hasMessage(
            "offline rows of entity 'a' arrived in two runs; the stream must hold each entity's"
                + " rows together");

    groups.values().forEach(g -> g.seen = false);
    AsOfJoin backwards = new AsOfJoin(groups, new long[] {100, 100}, 0, TTL, 1, new String[2][]);
    backwards.accept(row("a", 2, "x"));
    assertThatThrownBy(() -> backwards.accept(row("a", 1, "x")))
        .hasMessage("offline rows of entity 'a' arrived out of feature_ts order");
  }

  @Test
  void labels_are_ordered_by_time_then_by_label_order() {
    assertThat(LabelIndex.byTime(new long[] {5, 3, 5, 1, 3, 5})).containsExactly(3, 1, 4, 0, 2, 5);
    assertThat(LabelIndex.byTime(new long[0])).isEmpty();
  }

  private static String[] values(String[][] picked) {
    String[] out = new String[picked.length];
    for (int i = 0; i < picked.length; i++) {
      out[i] = picked[i] == null ? null : picked[i][0];
    }
    return out;
  }
}
