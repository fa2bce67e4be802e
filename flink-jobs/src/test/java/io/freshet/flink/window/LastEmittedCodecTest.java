package io.freshet.flink.window;

import static io.freshet.dsl.Aggregation.approxCountDistinct;
import static io.freshet.dsl.Aggregation.approxPercentile;
import static io.freshet.dsl.Aggregation.avg;
import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.countDistinct;
import static io.freshet.dsl.Aggregation.first;
import static io.freshet.dsl.Aggregation.last;
import static io.freshet.dsl.Aggregation.lastK;
import static io.freshet.dsl.Aggregation.max;
import static io.freshet.dsl.Aggregation.min;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Expression.ratio;
import static io.freshet.dsl.Expression.ref;
import static io.freshet.dsl.Filter.equalTo;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.examples.UserActivity;
import io.freshet.online.OnlineCodec;
import io.freshet.plan.DerivedValues;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The operator's last-emitted state keeps the bytes it stored when it wrote them with the online
 * value codec, so a savepoint of an earlier version restores and compares equal: the operator emits
 * no row that did not change.
 */
class LastEmittedCodecTest {

  /** A view with a part of every aggregation kind, so every value type, and derived parts. */
  static final ViewPlan EVERY_KIND = ViewPlan.of(everyKind());

  static FeatureView everyKind() {
    SlidingWindow hour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    SlidingWindow day = SlidingWindow.of(Duration.ofDays(1), Duration.ofMinutes(15));
    return FeatureView.named("every_kind")
        .source(KafkaJsonSource.topic("events").keyedBy("user_id").eventTimeField("ts"))
        .feature(Feature.named("n").aggregate(count()).over(hour))
        .feature(Feature.named("buys").aggregate(count()).where(equalTo("type", "buy")).over(day))
        .feature(Feature.named("total").aggregate(sum("x")).over(hour))
        .feature(Feature.named("low").aggregate(min("x")).over(hour))
        .feature(Feature.named("high").aggregate(max("x")).over(day))
        .feature(Feature.named("mean").aggregate(avg("x")).over(hour))
        .feature(Feature.named("first_page").aggregate(first("page")).over(hour))
        .feature(Feature.named("last_page").aggregate(last("page")).over(day))
        .feature(Feature.named("pages").aggregate(countDistinct("page")).over(hour))
        .feature(Feature.named("pages_approx").aggregate(approxCountDistinct("page")).over(day))
        .feature(Feature.named("x_p95").aggregate(approxPercentile("x", 0.95)).over(hour))
        .feature(Feature.named("recent_pages").aggregate(lastK("page", 5)).over(day))
        .derived(DerivedFeature.named("buy_rate").as(ratio(ref("buys"), ref("n"), 0)))
        .ttl(Duration.ofHours(2))
        .build();
  }

  @Test
  void writes_the_bytes_the_online_codec_wrote_for_random_rows_of_every_type() {
    for (ViewPlan plan : List.of(EVERY_KIND, ViewPlan.of(UserActivity.view()))) {
      OnlineCodec online = new OnlineCodec(plan);
      LastEmittedCodec state = new LastEmittedCodec(plan);
      Random r = new Random(14);
      for (int round = 0; round < 5_000; round++) {
        Object[] values = randomValues(plan, r);
        assertThat(state.encode(values))
            .as("%s round %d", plan.name(), round)
            .isEqualTo(online.encode(new FeatureRow("key", 0, values)));
      }
    }
  }

  @Test
  void pins_the_bytes_of_one_row_of_every_type() {
    Object[] values = new Object[EVERY_KIND.parts().size()];
    values[0] = 3L;
    values[1] = 1L;
    values[2] = 12.5;
    values[3] = -2.0;
    values[4] = 7.25;
    values[5] = null;
    values[6] = "home";
    values[7] = "café";
    values[8] = 300L;
    values[9] = -1L;
    values[10] = null;
    values[11] = List.of("a", "", "é");
    DerivedValues.of(EVERY_KIND).fill(values);

    assertThat(HexFormat.of().formatHex(new LastEmittedCodec(EVERY_KIND).encode(values)))
        .isEqualTo(
            "02" // layout version
                + "0000000000000000" // zero feature_ts slot
                + "0c" // 12 aggregated parts
                + "2004" // nulls: part 5 (mean) and part 10 (x_p95)
                + "06" // n = 3
                + "02" // buys = 1
                + "4029000000000000" // total = 12.5
                + "c000000000000000" // low = -2.0
                + "401d000000000000" // high = 7.25
                + "04686f6d65" // first_page = "home"
                + "05636166c3a9" // last_page = "café"
                + "d804" // pages = 300
                + "01" // pages_approx = -1
                + "03" // recent_pages: 3 elements
                + "0161" // "a"
                + "00" // ""
                + "02c3a9"); // "é"
  }

  @Test
  void pins_the_bytes_of_a_user_activity_row() {
    ViewPlan plan = ViewPlan.of(UserActivity.view());
    Object[] values = {4L, 1L, 19.99, 2L, 3L, "ios", null, null};
    DerivedValues.of(plan).fill(values);

    assertThat(HexFormat.of().formatHex(new LastEmittedCodec(plan).encode(values)))
        .isEqualTo("020000000000000000060008024033fd70a3d70a3d040603696f73");
  }

  private static Object[] randomValues(ViewPlan plan, Random r) {
    Object[] values = new Object[plan.parts().size()];
    for (FeaturePart.Aggregated p : plan.aggregatedParts()) {
      if (r.nextInt(5) == 0) {
        continue;
      }
      values[p.index()] =
          switch (p.type()) {
            case INT64 -> randomLong(r);
            case FLOAT64 -> randomDouble(r);
            case STRING -> randomString(r);
            case STRING_LIST -> {
              List<String> list = new ArrayList<>();
              int n = r.nextInt(7);
              for (int i = 0; i < n; i++) {
                list.add(randomString(r));
              }
              yield List.copyOf(list);
            }
          };
    }
    DerivedValues.of(plan).fill(values);
    return values;
  }

  private static long randomLong(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> r.nextInt(200);
      case 1 -> -r.nextInt(200);
      case 2 -> r.nextLong();
      default -> r.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
    };
  }

  private static double randomDouble(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> -0.0;
      case 1 -> Double.NaN;
      case 2 -> r.nextBoolean() ? Double.POSITIVE_INFINITY : Double.MIN_VALUE;
      case 3 -> r.nextInt(10_000) / 100.0;
      default -> Double.longBitsToDouble(r.nextLong());
    };
  }

  private static String randomString(Random r) {
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(r.nextInt(10) == 0 ? 300 : 12);
    for (int i = 0; i < n; i++) {
      switch (r.nextInt(4)) {
        case 0 -> sb.append((char) ('a' + r.nextInt(26)));
        case 1 -> sb.append((char) (0x80 + r.nextInt(0x700)));
        case 2 -> sb.appendCodePoint(0x1F600 + r.nextInt(50));
        default -> sb.append((char) r.nextInt(0x80));
      }
    }
    return sb.toString();
  }
}
