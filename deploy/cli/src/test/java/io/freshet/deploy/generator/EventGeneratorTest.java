package io.freshet.deploy.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EventGeneratorTest {
  private static final Instant NOW = Instant.parse("2026-11-23T12:07:30Z");
  private static final Duration SPAN = Duration.ofMinutes(70);
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void same_seed_gives_the_same_history_and_live_events() {
    EventGenerator a = new EventGenerator(42, 200);
    EventGenerator b = new EventGenerator(42, 200);
    assertThat(a.history(NOW, SPAN, 5)).isEqualTo(b.history(NOW, SPAN, 5));
    for (int i = 0; i < 100; i++) {
      Instant t = NOW.plusSeconds(i);
      assertThat(a.next(t)).isEqualTo(b.next(t));
    }
  }

  @Test
  void different_seeds_give_different_events() {
    List<UserEvent> a = new EventGenerator(1, 200).history(NOW, SPAN, 5);
    List<UserEvent> b = new EventGenerator(2, 200).history(NOW, SPAN, 5);
    assertThat(a).hasSameSizeAs(b).isNotEqualTo(b);
  }

  @Test
  void history_covers_the_span_at_the_rate_with_disorder_inside_the_bound() {
    List<UserEvent> events = new EventGenerator(42, 200).history(NOW, SPAN, 5);
    assertThat(events).hasSize(70 * 60 * 5);
    Instant start = NOW.minus(SPAN);
    Instant newest = Instant.MIN;
    long maxDisorderMillis = 0;
    for (UserEvent e : events) {
      assertThat(e.eventTs()).isAfterOrEqualTo(start).isBefore(NOW);
      if (e.eventTs().isAfter(newest)) {
        newest = e.eventTs();
      } else {
        maxDisorderMillis =
            Math.max(maxDisorderMillis, Duration.between(e.eventTs(), newest).toMillis());
      }
    }
    assertThat(maxDisorderMillis)
        .isPositive()
        .isLessThanOrEqualTo(EventGenerator.HISTORY_DISORDER.toMillis());
    assertThat(events.get(0).eventTs()).isBefore(start.plusSeconds(10));
    assertThat(newest).isAfter(NOW.minusSeconds(10));
  }

  @Test
  void live_events_are_stamped_a_few_seconds_around_now() {
    EventGenerator g = new EventGenerator(7, 200);
    for (int i = 0; i < 1000; i++) {
      Instant ts = g.next(NOW).eventTs();
      assertThat(ts)
          .isAfterOrEqualTo(NOW.minus(EventGenerator.LIVE_LAG))
          .isBeforeOrEqualTo(NOW.plus(EventGenerator.LIVE_LEAD));
    }
  }

  @Test
  void events_have_the_shape_the_example_view_reads() throws Exception {
    List<UserEvent> events = new EventGenerator(42, 200).history(NOW, SPAN, 5);
    Map<String, Integer> types = new HashMap<>();
    Set<String> users = new HashSet<>();
    int withoutProduct = 0;
    for (UserEvent e : events) {
      JsonNode n = JSON.readTree(e.toJson());
      assertThat(n.path("user_id").asText()).matches("user_\\d{4}");
      assertThat(n.path("session_id").asText()).isNotBlank();
      assertThat(n.path("platform").asText()).isIn("ios", "android", "web");
      assertThat(Instant.parse(n.path("event_ts").asText())).isEqualTo(e.eventTs());
      String type = n.path("event_type").asText();
      types.merge(type, 1, Integer::sum);
      users.add(n.path("user_id").asText());
      if (type.equals("purchase")) {
        assertThat(n.path("revenue").isNumber()).isTrue();
        assertThat(n.path("revenue").asDouble()).isBetween(2.0, 500.0);
        assertThat(n.has("product_id")).isTrue();
      } else {
        assertThat(n.has("revenue")).as("revenue on a %s", type).isFalse();
      }
      if (!n.has("product_id")) {
        withoutProduct++;
      }
    }
    assertThat(types.keySet())
        .containsExactlyInAnyOrder("view", "click", "search", "add_to_cart", "purchase");
    double n = events.size();
    assertThat((types.get("view") + types.get("click")) / n).isGreaterThan(0.7);
    assertThat(types.get("purchase") / n).isBetween(0.02, 0.07);
    assertThat(withoutProduct).isPositive();
    assertThat(users).hasSizeGreaterThan(190).allMatch(u -> u.compareTo("user_0200") <= 0);
  }

  @Test
  void a_user_keeps_a_platform_and_sessions_repeat() {
    List<UserEvent> events = new EventGenerator(42, 50).history(NOW, SPAN, 5);
    Map<String, Set<String>> platforms = new HashMap<>();
    Map<String, Set<String>> sessions = new HashMap<>();
    for (UserEvent e : events) {
      platforms.computeIfAbsent(e.userId(), u -> new HashSet<>()).add(e.platform());
      sessions.computeIfAbsent(e.userId(), u -> new HashSet<>()).add(e.sessionId());
    }
    assertThat(platforms.values()).allMatch(p -> p.size() == 1);
    String top = EventGenerator.mostActive(events);
    long topEvents = events.stream().filter(e -> e.userId().equals(top)).count();
    assertThat(sessions.get(top).size()).isGreaterThan(1).isLessThan((int) topEvents / 5);
  }

  @Test
  void user_0001_is_the_most_active() {
    List<UserEvent> events = new EventGenerator(42, 200).history(NOW, SPAN, 5);
    assertThat(EventGenerator.mostActive(events)).isEqualTo("user_0001");
  }

  @Test
  void json_leaves_absent_fields_out() {
    UserEvent search = new UserEvent("user_0003", "search", null, null, "sess-1", "web", NOW);
    assertThat(search.toJson())
        .isEqualTo(
            "{\"user_id\":\"user_0003\",\"event_type\":\"search\",\"session_id\":\"sess-1\","
                + "\"platform\":\"web\",\"event_ts\":\"2026-11-23T12:07:30Z\"}");
  }

  @Test
  void rejects_revenue_outside_purchases() {
    assertThatThrownBy(
            () ->
                new UserEvent(
                    "user_0001",
                    "view",
                    "prod_0001",
                    java.math.BigDecimal.ONE,
                    "sess-1",
                    "web",
                    NOW))
        .hasMessageContaining("revenue must be set on purchases and only on purchases");
  }

  @Test
  void rejects_a_user_count_out_of_range() {
    assertThatThrownBy(() -> new EventGenerator(1, 0))
        .hasMessage("users must be between 1 and 9999, got 0");
  }
}
