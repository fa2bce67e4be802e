package io.freshet.dsl.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.dsl.Aggregation;
import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Expression;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.Filter;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.examples.ExampleDefinitions;
import io.freshet.examples.UserActivity;
import io.freshet.plan.ViewPlan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class DefinitionJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  // ---- round trips

  @Test
  void example_views_round_trip_exactly() {
    for (FeatureView v : new ExampleDefinitions().views()) {
      assertRoundTrip(v);
    }
  }

  @Test
  void example_view_matches_the_golden_json() throws IOException {
    String golden;
    try (InputStream in = getClass().getResourceAsStream("/golden/user_activity.json")) {
      golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(DefinitionJson.toJson(UserActivity.view())).isEqualTo(golden);
    assertThat(DefinitionJson.viewFromJson(golden)).isEqualTo(UserActivity.view());
  }

  @Test
  void generated_views_round_trip_exactly_with_equal_fingerprints() {
    RandomViews gen = new RandomViews(new Random(20261123L));
    for (int i = 0; i < 1000; i++) {
      assertRoundTrip(gen.view(i));
    }
    Set<Class<?>> allAggregations = new HashSet<>(Arrays.asList(permitted(Aggregation.class)));
    Set<Class<?>> allExpressions = new HashSet<>(Arrays.asList(permitted(Expression.class)));
    Set<Class<?>> allFilters = new HashSet<>(Arrays.asList(permitted(Filter.class)));
    assertThat(gen.aggregationKinds).isEqualTo(allAggregations);
    assertThat(gen.expressionKinds).isEqualTo(allExpressions);
    assertThat(gen.filterKinds).isEqualTo(allFilters);
    assertThat(gen.operators).containsExactlyInAnyOrder(Expression.Op.values());
    assertThat(gen.viewsWithCompoundKeys).isGreaterThan(100);
    assertThat(gen.viewsWithSeveralWindowSizes).isGreaterThan(100);
    assertThat(gen.viewsWithLifetimeFeatures).isGreaterThan(100);
    assertThat(gen.viewsWithoutTtl).isGreaterThan(100);
  }

  @Test
  void reader_takes_other_iso_durations_and_documented_defaults() {
    FeatureView v =
        DefinitionJson.viewFromJson(
            """
            {"format": 1, "kind": "feature_view", "name": "clicks",
             "source": {"type": "kafka_json", "topic": "clicks", "key_fields": ["user_id", "app"],
                        "event_time_field": "ts", "max_out_of_orderness": "PT1M",
                        "allowed_lateness": "PT0S", "idle_timeout": "PT30S"},
             "features": [
               {"name": "users_7d", "aggregation": {"op": "approx_count_distinct", "field": "u"},
                "window": {"size": "P7D", "slide": "P1D"}},
               {"name": "p95_7d", "aggregation": {"op": "approx_percentile", "field": "ms",
                "quantile": 0.95}, "filter": null, "window": {"size": "P7D", "slide": "PT24H"}}],
             "ttl": "P14D", "availability_delay": "PT0S"}
            """);
    SlidingWindow week = SlidingWindow.of(Duration.ofDays(7), Duration.ofDays(1));
    FeatureView expected =
        new FeatureView(
            "clicks",
            new KafkaJsonSource(
                "clicks",
                List.of("user_id", "app"),
                "ts",
                Duration.ofMinutes(1),
                Duration.ZERO,
                Duration.ofSeconds(30)),
            List.of(
                new Feature("users_7d", Aggregation.approxCountDistinct("u"), null, week),
                new Feature("p95_7d", Aggregation.approxPercentile("ms", 0.95), null, week)),
            List.of(),
            Duration.ofDays(14),
            Duration.ZERO);
    assertThat(v).isEqualTo(expected);
    assertThat(DefinitionJson.toJson(v)).contains("\"size\": \"PT168H\"");
  }

  @Test
  void value_for_division_by_zero_is_ignored_by_other_operators() {
    var add =
        new Expression.Binary(
            Expression.Op.ADD, Expression.ref("event_count_1h"), Expression.constant(-0.0), 7.5);
    assertThat(add)
        .isEqualTo(
            new Expression.Binary(
                Expression.Op.ADD, Expression.ref("event_count_1h"), Expression.constant(-0.0), 0));
    FeatureView odd = withDerived(UserActivity.view(), new DerivedFeature("odd", add));
    assertRoundTrip(odd);
    assertThat(DefinitionJson.toJson(odd))
        .contains(
            "\"expression\": {\n"
                + "        \"op\": \"add\",\n"
                + "        \"left\": {\"ref\": \"event_count_1h\"},\n"
                + "        \"right\": {\"constant\": -0.0}\n"
                + "      }");
  }

  // ---- feature services

  @Test
  void example_services_round_trip_exactly() {
    for (FeatureService s : new ExampleDefinitions().services()) {
      String json = DefinitionJson.toJson(s);
      assertThat(DefinitionJson.serviceFromJson(json)).isEqualTo(s);
      assertThat(DefinitionJson.toJson(DefinitionJson.serviceFromJson(json))).isEqualTo(json);
    }
    assertThat(
            DefinitionJson.toJson(
                FeatureService.of("m", "user_activity:event_count_1h", "other:last_platform")))
        .isEqualTo(
            "{\n"
                + "  \"format\": 1,\n"
                + "  \"kind\": \"feature_service\",\n"
                + "  \"name\": \"m\",\n"
                + "  \"features\": [\"user_activity:event_count_1h\", \"other:last_platform\"]\n"
                + "}\n");
  }

  @Test
  void service_reference_rule_comes_with_its_path() {
    String json =
        "{\"format\": 1, \"kind\": \"feature_service\", \"name\": \"m\","
            + " \"features\": [\"user_activity:event_count_1h\", \"user_activity\"]}";
    assertThatThrownBy(() -> DefinitionJson.serviceFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "features[1]: feature reference 'user_activity' must be written view:feature (e.g."
                + " user_activity:event_count_1h)");
  }

  @Test
  void a_view_is_not_read_as_a_service() {
    assertThatThrownBy(() -> DefinitionJson.serviceFromJson(golden()))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("kind: expected 'feature_service', got 'feature_view'");
  }

  // ---- errors: malformed JSON

  @Test
  void rejects_malformed_json_with_line_and_column() {
    assertThatThrownBy(() -> DefinitionJson.viewFromJson("{\n  \"format\": 1,\n  name: 2\n}"))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "malformed JSON at line 3, column 3: Unexpected character ('n' (code 110)): was"
                + " expecting double-quote to start field name");
  }

  @Test
  void rejects_duplicate_keys() {
    assertThatThrownBy(() -> DefinitionJson.viewFromJson("{\"format\": 1, \"format\": 1}"))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("malformed JSON at line 1, column 23: Duplicate field 'format'");
  }

  @Test
  void rejects_text_after_the_definition() {
    String twice = golden() + golden();
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(twice))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "malformed JSON at line 71, column 1: text after the end of the definition (one"
                + " definition per document)");
  }

  @Test
  void rejects_empty_text() {
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(" \n"))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("no JSON text to read (the text is empty)");
  }

  @Test
  void rejects_a_document_that_is_not_an_object() {
    assertThatThrownBy(() -> DefinitionJson.viewFromJson("[1, 2]"))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("expected a feature view as a JSON object, got [1,2]");
  }

  // ---- errors: format and schema

  @Test
  void rejects_missing_format() {
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(edit(root -> root.remove("format"))))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("format: missing (expected 1)");
  }

  @Test
  void rejects_unknown_format() {
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(edit(root -> root.put("format", 2))))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "format: unsupported format 2 (this version of Freshet reads format 1; upgrade Freshet"
                + " to read it)");
  }

  @Test
  void rejects_other_kinds() {
    assertThatThrownBy(
            () -> DefinitionJson.viewFromJson(edit(root -> root.put("kind", "feature_service"))))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("kind: expected 'feature_view', got 'feature_service'");
  }

  @Test
  void rejects_unknown_aggregation_naming_the_known_ones() {
    String json = edit(root -> aggregation(root, 2).put("op", "summ"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "features[2].aggregation.op: unknown aggregation 'summ' (known: count, sum, min, max,"
                + " avg, first, last, count_distinct, approx_count_distinct, approx_percentile,"
                + " last_k, last_event_time)");
  }

  @Test
  void rejects_misspelt_fields() {
    String json = edit(root -> feature(root, 1).set("filtr", feature(root, 1).remove("filter")));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "features[1].filtr: unknown field (expected one of: name, aggregation, filter,"
                + " window)");
  }

  @Test
  void rejects_a_field_on_an_aggregation_that_reads_none() {
    String json = edit(root -> aggregation(root, 0).put("field", "user_id"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("features[0].aggregation.field: unknown field (expected one of: op)");
  }

  @Test
  void rejects_missing_required_fields() {
    String json = edit(root -> ((ObjectNode) root.get("source")).remove("event_time_field"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("source.event_time_field: missing (expected a string)");
  }

  @Test
  void rejects_values_of_the_wrong_type() {
    String json = edit(root -> ((ArrayNode) root.at("/source/key_fields")).add(7));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("source.key_fields[1]: expected a string, got 7");
  }

  @Test
  void rejects_fractional_k() {
    String json =
        edit(
            root ->
                feature(root, 5)
                    .set(
                        "aggregation",
                        JSON.createObjectNode()
                            .put("op", "last_k")
                            .put("field", "platform")
                            .put("k", 2.5)));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage("features[5].aggregation.k: expected an integer, got 2.5");
  }

  @Test
  void rejects_durations_that_are_not_iso_8601() {
    String json = edit(root -> ((ObjectNode) feature(root, 3).get("window")).put("size", "1h"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "features[3].window.size: \"1h\" is not an ISO-8601 duration (write e.g. \"PT30S\","
                + " \"PT15M\", \"PT1H\" or \"P7D\")");
  }

  @Test
  void rejects_division_without_a_value_for_zero() {
    String json = edit(root -> ((ObjectNode) root.at("/derived/1/expression")).remove("when_zero"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "derived[1].expression.when_zero: missing (a division names the value it takes when"
                + " the divisor is 0, e.g. 0.0)");
  }

  @Test
  void rejects_ambiguous_expression_nodes() {
    String json =
        edit(root -> ((ObjectNode) root.at("/derived/0/expression/left")).put("constant", 1));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "derived[0].expression.left: expected exactly one of {\"ref\": ...}, {\"constant\":"
                + " ...} or {\"op\": ..., \"left\": ..., \"right\": ...}, got"
                + " {\"ref\":\"purchase_count_1h\",\"constant\":1}");
  }

  @Test
  void rejects_unknown_operators() {
    String json = edit(root -> ((ObjectNode) root.at("/derived/0/expression")).put("op", "mod"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "derived[0].expression.op: unknown operator 'mod' (known: add, subtract, multiply,"
                + " divide)");
  }

  // ---- errors: rules of the DSL, located

  @Test
  void dsl_window_rule_comes_with_the_window_path() {
    String json =
        edit(
            root ->
                ((ObjectNode) feature(root, 1).get("window"))
                    .put("size", "PT45M")
                    .put("slide", "PT10M"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "features[1].window: window size 45m must be a multiple of slide 10m (use a slide that"
                + " divides 45m, e.g. 9m)")
        .hasCauseInstanceOf(DefinitionException.class);
  }

  @Test
  void dsl_aggregation_rule_comes_with_the_aggregation_path() {
    String json =
        edit(
            root ->
                feature(root, 2)
                    .set(
                        "aggregation",
                        JSON.createObjectNode()
                            .put("op", "approx_percentile")
                            .put("field", "revenue")
                            .put("quantile", 1.5)
                            .put("k", 200)));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "features[2].aggregation: approx_percentile of 'revenue': quantile 1.5 is outside 0..1"
                + " (use 0.95 for the 95th percentile)");
  }

  @Test
  void dsl_name_rule_comes_with_the_feature_path() {
    String json = edit(root -> feature(root, 0).put("name", "Event Count"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "features[0]: feature name 'Event Count' is not a valid identifier: use 1 to 48"
                + " characters of lower-case letters, digits and '_', starting with a letter (e.g."
                + " 'event_count_1h')");
  }

  @Test
  void dsl_source_rule_comes_with_the_source_path() {
    String json = edit(root -> ((ObjectNode) root.get("source")).put("idle_timeout", "PT0S"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "source: idle timeout of source 'user-events' must be a positive duration, got 0s");
  }

  @Test
  void dsl_view_rule_is_reported_as_the_dsl_words_it() {
    String json = edit(root -> feature(root, 1).put("name", "event_count_1h"));
    assertThatThrownBy(() -> DefinitionJson.viewFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "feature view 'user_activity' declares feature 'event_count_1h' twice (rename one)");
  }

  // ---- helpers

  private static void assertRoundTrip(FeatureView v) {
    String json = DefinitionJson.toJson(v);
    FeatureView back;
    try {
      back = DefinitionJson.viewFromJson(json);
    } catch (RuntimeException e) {
      throw new AssertionError("could not read back:\n" + json, e);
    }
    assertThat(back).as(json).isEqualTo(v);
    assertThat(ViewPlan.of(back).fingerprint()).isEqualTo(ViewPlan.of(v).fingerprint());
    assertThat(DefinitionJson.toJson(back)).isEqualTo(json);
  }

  private static String golden() {
    return DefinitionJson.toJson(UserActivity.view());
  }

  /** The example view's JSON after an edit of its tree. */
  private static String edit(Consumer<ObjectNode> change) {
    try {
      ObjectNode root = (ObjectNode) JSON.readTree(golden());
      change.accept(root);
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static ObjectNode feature(JsonNode root, int i) {
    return (ObjectNode) root.get("features").get(i);
  }

  private static ObjectNode aggregation(JsonNode root, int i) {
    return (ObjectNode) feature(root, i).get("aggregation");
  }

  private static FeatureView withDerived(FeatureView v, DerivedFeature d) {
    List<DerivedFeature> derived = new ArrayList<>(v.derived());
    derived.add(d);
    return new FeatureView(
        v.name(), v.source(), v.features(), derived, v.ttl(), v.availabilityDelay());
  }

  private static Class<?>[] permitted(Class<?> sealed) {
    return sealed.getPermittedSubclasses();
  }

  /** Valid views drawn at random, covering every kind of aggregation, filter and expression. */
  private static final class RandomViews {
    private static final List<String> FIELDS =
        List.of(
            "user_id",
            "revenue",
            "a.b",
            "größe",
            "with \"quote\"",
            "back\\slash",
            "tab\there",
            "emoji 😀",
            " padded ",
            "x");
    private static final List<String> VALUES =
        List.of("purchase", "", "Ünïcödé", "line\nbreak", "\"quoted\"", "\\", "\u0001", "0");
    private static final List<Duration> SLIDES =
        List.of(
            Duration.ofMillis(250),
            Duration.ofSeconds(1),
            Duration.ofSeconds(10),
            Duration.ofMinutes(1),
            Duration.ofMinutes(15),
            Duration.ofHours(1),
            Duration.ofDays(1));
    private static final int[] MULTIPLES = {1, 2, 3, 4, 6, 12, 24, 96};
    private static final double[] CONSTANTS = {
      0, -0.0, 1, -3, 0.1, 1e-300, Double.MAX_VALUE, -Double.MIN_VALUE, 100, 2.5e10
    };

    private final Random random;
    final Set<Class<?>> aggregationKinds = new HashSet<>();
    final Set<Class<?>> expressionKinds = new HashSet<>();
    final Set<Class<?>> filterKinds = new HashSet<>();
    final Set<Expression.Op> operators = new HashSet<>();
    int viewsWithCompoundKeys;
    int viewsWithSeveralWindowSizes;
    int viewsWithLifetimeFeatures;
    int viewsWithoutTtl;

    RandomViews(Random random) {
      this.random = random;
    }

    FeatureView view(int i) {
      Duration slide = pick(SLIDES);
      List<Feature> features = new ArrayList<>();
      List<String> numeric = new ArrayList<>();
      Set<Duration> sizes = new HashSet<>();
      int n = 1 + random.nextInt(8);
      boolean lifetime = false;
      for (int f = 0; f < n; f++) {
        Aggregation a = aggregation();
        aggregationKinds.add(a.getClass());
        Filter filter = null;
        if (random.nextInt(3) == 0) {
          filter = Filter.equalTo(pick(FIELDS), pick(VALUES));
          filterKinds.add(filter.getClass());
        }
        Duration size = slide.multipliedBy(MULTIPLES[random.nextInt(MULTIPLES.length)]);
        SlidingWindow window;
        if (random.nextInt(6) == 0) {
          window = SlidingWindow.lifetime(slide);
          lifetime = true;
        } else {
          window = SlidingWindow.of(size, slide);
          sizes.add(size);
        }
        String name = "f" + f + "_" + a.namePart();
        features.add(new Feature(name, a, filter, window));
        FeatureType t = a.resultType();
        if (t == FeatureType.INT64 || t == FeatureType.FLOAT64) {
          numeric.add(name);
        }
      }
      List<DerivedFeature> derived = new ArrayList<>();
      if (!numeric.isEmpty()) {
        int d = random.nextInt(4);
        for (int k = 0; k < d; k++) {
          String name = "d" + k;
          derived.add(new DerivedFeature(name, expression(numeric, 3)));
          numeric.add(name);
        }
      }
      List<String> keys = new ArrayList<>(FIELDS);
      java.util.Collections.shuffle(keys, random);
      keys = keys.subList(0, 1 + random.nextInt(3));
      viewsWithCompoundKeys += keys.size() > 1 ? 1 : 0;
      viewsWithSeveralWindowSizes += sizes.size() > 1 ? 1 : 0;
      viewsWithLifetimeFeatures += lifetime ? 1 : 0;
      boolean noTtl = random.nextInt(5) == 0;
      viewsWithoutTtl += noTtl ? 1 : 0;
      KafkaJsonSource source =
          new KafkaJsonSource(
              "topic." + i + (random.nextBoolean() ? "-events_v2" : ""),
              keys,
              pick(FIELDS),
              Duration.ofMillis(random.nextInt(3_600_000)),
              random.nextBoolean() ? Duration.ZERO : Duration.ofMillis(1 + random.nextInt(99_999)),
              Duration.ofMillis(1 + random.nextInt(600_000)));
      Duration ttl =
          noTtl
              ? FeatureView.NO_TTL
              : Duration.ofMillis(1 + (long) random.nextInt(Integer.MAX_VALUE) * 1000);
      if (lifetime && !noTtl) {
        // A lifetime view's TTL outlasts its longest window, its lateness and a slide.
        Duration least =
            sizes.stream()
                .max(Duration::compareTo)
                .orElse(slide)
                .plus(source.allowedLateness())
                .plus(slide);
        if (ttl.compareTo(least) < 0) {
          ttl = least.plusMillis(random.nextInt(1000));
        }
      }
      return new FeatureView(
          "view_" + i,
          source,
          features,
          derived,
          ttl,
          random.nextBoolean() ? Duration.ZERO : Duration.ofMillis(random.nextInt(1_000_000)));
    }

    private Aggregation aggregation() {
      String field = pick(FIELDS);
      return switch (random.nextInt(12)) {
        case 0 -> Aggregation.count();
        case 1 -> Aggregation.sum(field);
        case 2 -> Aggregation.min(field);
        case 3 -> Aggregation.max(field);
        case 4 -> Aggregation.avg(field);
        case 5 -> Aggregation.first(field);
        case 6 -> Aggregation.last(field);
        case 7 -> Aggregation.countDistinct(field);
        case 8 -> new Aggregation.ApproxCountDistinct(field, 4 + random.nextInt(18));
        case 9 ->
            new Aggregation.ApproxPercentile(
                field, random.nextInt(4) == 0 ? 1.0 : random.nextDouble(), 8 + random.nextInt(500));
        case 10 -> Aggregation.lastEventTime();
        default -> Aggregation.lastK(field, 1 + random.nextInt(1000));
      };
    }

    private Expression expression(List<String> numeric, int depth) {
      int kind = depth == 0 ? random.nextInt(2) : random.nextInt(4);
      Expression e;
      if (kind == 0) {
        e = Expression.ref(pick(numeric));
      } else if (kind == 1) {
        e = Expression.constant(CONSTANTS[random.nextInt(CONSTANTS.length)]);
      } else {
        Expression.Op op = Expression.Op.values()[random.nextInt(4)];
        operators.add(op);
        double whenZero =
            op == Expression.Op.DIVIDE || random.nextInt(5) == 0
                ? CONSTANTS[random.nextInt(CONSTANTS.length)]
                : 0;
        e =
            new Expression.Binary(
                op, expression(numeric, depth - 1), expression(numeric, depth - 1), whenZero);
      }
      expressionKinds.add(e.getClass());
      return e;
    }

    private <T> T pick(List<T> from) {
      return from.get(random.nextInt(from.size()));
    }
  }
}
