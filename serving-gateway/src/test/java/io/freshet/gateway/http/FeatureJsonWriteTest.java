package io.freshet.gateway.http;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.lastK;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.examples.UserActivity;
import io.freshet.gateway.online.FeatureStatus;
import io.freshet.gateway.online.OnlineFeatures;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming body of GET /features against the JSON tree it replaces: the same bytes for random
 * rows of every part type, with nulls, NaN and infinities, Unicode and every status.
 */
class FeatureJsonWriteTest {
  private static final String[] TEXT = {
    "",
    "user_42",
    "é",
    "😀 emoji",
    "quote \" backslash \\ slash /",
    "tab\tnew\nline\u0001",
    "\u2028\u2029",
    "中文",
    "null"
  };

  private static ViewPlan withList() {
    SlidingWindow lastHour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
    return ViewPlan.of(
        FeatureView.named("tenant_products")
            .source(
                KafkaJsonSource.topic("tenant-events")
                    .keyedBy("tenant_id", "user_id")
                    .eventTimeField("event_ts")
                    .withMaxOutOfOrderness(Duration.ofMinutes(1)))
            .feature(
                Feature.named("recent_products").aggregate(lastK("product_id", 3)).over(lastHour))
            .feature(Feature.named("event_count_1h").aggregate(count()).over(lastHour))
            .ttl(Duration.ofHours(2))
            .build());
  }

  @Test
  void streaming_body_equals_the_tree_body() {
    List<ViewPlan> plans =
        List.of(ViewPlan.of(UserActivity.view()), ViewPlan.of(UserActivity.liveView()), withList());
    Random random = new Random(42);
    double[] specials = {
      Double.NaN,
      Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY,
      -0.0,
      0.0,
      1e-300,
      1e300,
      Double.MIN_VALUE,
      Double.MAX_VALUE,
      0.1 + 0.2,
      19.99
    };
    for (int i = 0; i < 2000; i++) {
      ViewPlan plan = plans.get(random.nextInt(plans.size()));
      int width = plan.parts().stream().mapToInt(FeaturePart::index).max().orElse(0) + 1;
      Object[] values = new Object[width];
      for (FeaturePart part : plan.parts()) {
        if (random.nextInt(5) == 0) {
          continue;
        }
        values[part.index()] =
            switch (part.type()) {
              case INT64 -> random.nextBoolean() ? random.nextLong() : (long) random.nextInt(100);
              case FLOAT64 ->
                  random.nextBoolean()
                      ? specials[random.nextInt(specials.length)]
                      : random.nextDouble() * 1000;
              case STRING -> TEXT[random.nextInt(TEXT.length)];
              case STRING_LIST -> {
                List<Object> list = new ArrayList<>();
                for (int k = random.nextInt(4); k > 0; k--) {
                  list.add(random.nextInt(6) == 0 ? null : TEXT[random.nextInt(TEXT.length)]);
                }
                yield list;
              }
            };
      }
      String entity = TEXT[random.nextInt(TEXT.length)] + i;
      FeatureRow row = new FeatureRow(entity, random.nextLong() >>> 24, values);
      FeatureStatus status = FeatureStatus.values()[random.nextInt(FeatureStatus.values().length)];
      long micros = (random.nextLong() >>> 12);
      OnlineFeatures features = new OnlineFeatures(plan, row, status, micros);
      String instant = random.nextInt(10) == 0 ? null : "2026-12-03T09:00:00.123456Z";
      byte[] tree = JsonResponses.bytes(FeatureJson.of(features, instant));
      byte[] streamed = FeatureJson.write(features, instant).getBytes();
      assertThat(new String(streamed, StandardCharsets.UTF_8))
          .isEqualTo(new String(tree, StandardCharsets.UTF_8));
      assertThat(streamed).isEqualTo(tree);
    }
  }
}
