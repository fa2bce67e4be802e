package io.freshet.examples;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.lastEventTime;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Filter.equalTo;

import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import java.time.Duration;

/**
 * Lifetime features of each user since first seen, from the {@code user-events} topic: purchases,
 * revenue and the time of the last event. The view sets no TTL, so its values and state never
 * expire.
 */
public final class UserLifetime {
  private UserLifetime() {}

  /** {@code user_lifetime}: emitted every minute, 10 seconds out of order. */
  public static FeatureView view() {
    Duration slide = Duration.ofMinutes(1);
    KafkaJsonSource events =
        KafkaJsonSource.topic(UserActivity.TOPIC)
            .keyedBy("user_id")
            .eventTimeField("event_ts")
            .withMaxOutOfOrderness(Duration.ofSeconds(10));
    return FeatureView.named("user_lifetime")
        .source(events)
        .feature(
            Feature.named("purchase_count_lifetime")
                .aggregate(count())
                .where(equalTo("event_type", "purchase"))
                .overLifetime(slide))
        .feature(
            Feature.named("revenue_lifetime")
                .aggregate(sum("revenue"))
                .where(equalTo("event_type", "purchase"))
                .overLifetime(slide))
        .feature(Feature.named("last_event_ts").aggregate(lastEventTime()).overLifetime(slide))
        .build();
  }
}
