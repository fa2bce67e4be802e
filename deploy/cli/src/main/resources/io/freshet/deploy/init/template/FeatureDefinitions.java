package {{package}};

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.countDistinct;
import static io.freshet.dsl.Expression.ratio;
import static io.freshet.dsl.Expression.ref;
import static io.freshet.dsl.Filter.equalTo;

import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureDefinitions;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import java.time.Duration;
import java.util.List;

/**
 * The feature views of this project. Freshet finds this class through
 * src/main/resources/META-INF/services/io.freshet.dsl.FeatureDefinitions: list every class like it
 * there, one per line.
 *
 * <p>{@code page_clicks} reads JSON events such as
 * {@code {"page_id": "home", "user_id": "u1", "action": "click", "ts": "2026-12-01T12:00:05Z"}}
 * from the topic {@code page-clicks} ({@code ts}: an ISO-8601 instant or epoch milliseconds) and
 * keeps, per page, what happened in the last 10 minutes, refreshed every minute: the window
 * [12:00, 12:10) is served once an event later than 12:10:30 has been seen (30 seconds of
 * out-of-orderness allowed).
 */
public final class PageClickFeatures implements FeatureDefinitions {
  /** The Kafka topic the events are produced to. */
  public static final String TOPIC = "page-clicks";

  @Override
  public List<FeatureView> views() {
    return List.of(pageClicks());
  }

  /** {@code page_clicks}: views, clicks, visitors and click-through rate per page over 10 minutes. */
  public static FeatureView pageClicks() {
    SlidingWindow last10m = SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(1));
    KafkaJsonSource events =
        KafkaJsonSource.topic(TOPIC)
            .keyedBy("page_id")
            .eventTimeField("ts")
            .withMaxOutOfOrderness(Duration.ofSeconds(30));
    return FeatureView.named("page_clicks")
        .source(events)
        .feature(
            Feature.named("views_10m")
                .aggregate(count())
                .where(equalTo("action", "view"))
                .over(last10m))
        .feature(
            Feature.named("clicks_10m")
                .aggregate(count())
                .where(equalTo("action", "click"))
                .over(last10m))
        .feature(Feature.named("visitors_10m").aggregate(countDistinct("user_id")).over(last10m))
        .derived(
            DerivedFeature.named("click_through_rate_10m")
                .as(ratio(ref("clicks_10m"), ref("views_10m"), 0)))
        .ttl(Duration.ofHours(1))
        .build();
  }
}
