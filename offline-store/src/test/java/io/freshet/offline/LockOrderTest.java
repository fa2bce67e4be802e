package io.freshet.offline;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.storage.FeatureRow;
import io.freshet.storage.Tile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The lock order is the order of the boxed, stable stream sort it replaced, ties included. */
class LockOrderTest {
  private static final String[] KEYS = {"", "a", "ab", "b", "é", "\uD83D\uDE00", "Z", "u:1"};

  @Test
  void rows_are_in_the_order_of_the_previous_sort_for_random_committables() {
    Random random = new Random(42);
    for (int round = 0; round < 300; round++) {
      int n = random.nextInt(300);
      List<FeatureRow> rows = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        rows.add(new FeatureRow(key(random), random.nextInt(5) - 2L, new Object[0]));
      }
      int[] expected =
          IntStream.range(0, n)
              .boxed()
              .sorted(
                  Comparator.comparing((Integer i) -> rows.get(i).entityKey())
                      .thenComparingLong(i -> rows.get(i).featureTs()))
              .mapToInt(Integer::intValue)
              .toArray();
      assertThat(OfflineWriter.lockOrder(rows)).containsExactly(expected);
    }
  }

  @Test
  void tiles_are_in_the_order_of_the_previous_sort_for_random_committables() {
    Random random = new Random(7);
    for (int round = 0; round < 300; round++) {
      int n = random.nextInt(300);
      List<Tile> tiles = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        tiles.add(
            new Tile(
                key(random),
                random.nextInt(4) * 60_000L - 60_000L,
                1 + random.nextInt(3),
                new byte[] {(byte) i}));
      }
      int[] expected =
          IntStream.range(0, n)
              .boxed()
              .sorted(
                  Comparator.comparing((Integer i) -> tiles.get(i).entityKey())
                      .thenComparingLong(i -> tiles.get(i).start())
                      .thenComparingLong(i -> tiles.get(i).version()))
              .mapToInt(Integer::intValue)
              .toArray();
      assertThat(LockOrder.ofTiles(tiles)).containsExactly(expected);
    }
  }

  private static String key(Random random) {
    return random.nextInt(4) == 0
        ? KEYS[random.nextInt(KEYS.length)]
        : "user-" + random.nextInt(40);
  }
}
