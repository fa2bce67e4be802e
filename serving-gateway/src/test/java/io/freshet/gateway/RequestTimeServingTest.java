package io.freshet.gateway;

import static io.freshet.dsl.Aggregation.count;
import static io.freshet.dsl.Aggregation.last;
import static io.freshet.dsl.Aggregation.max;
import static io.freshet.dsl.Aggregation.sum;
import static io.freshet.dsl.Expression.ratio;
import static io.freshet.dsl.Expression.ref;
import static io.freshet.gateway.GatewayClient.json;
import static io.freshet.gateway.GatewayFixture.recentWindowEnd;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.aggregate.PartAggregator;
import io.freshet.aggregate.PartAggregators;
import io.freshet.aggregate.SliceCodec;
import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.examples.UserActivity;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineKeys;
import io.freshet.online.OnlineWriter;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.Tile;
import io.freshet.testing.TestRedis;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A request-time view served by every lookup route, against a real Redis whose tiles are written by
 * {@link OnlineWriter#writeTiles} from generated events, out of order and over several checkpoints.
 * The expected values are a brute force over the raw events under the documented rule (a feature of
 * window {@code S} at instant {@code t} holds every event whose tile start {@code s} has {@code
 * floor(t - S, T) <= s < t}; no value once {@code t >= m + T + maxS + ttl}), at the request instant
 * the gateway reports with microseconds.
 */
class RequestTimeServingTest {
  private static final long MINUTE = 60_000;
  private static final long TILE = MINUTE;
  private static final long MAX_WINDOW = 60 * MINUTE;
  private static final long TTL = 120 * MINUTE;
  private static final String MICROS_INSTANT =
      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z";

  /** One raw event: time, amount, page. */
  record Event(long ts, double amount, String page) {}

  private static GatewayFixture fixture;
  private static GatewayClient client;
  private static ViewPlan clicks;
  private static ViewPlan activity;
  private static final Map<String, List<Event>> EVENTS = new LinkedHashMap<>();
  private static long lastStamp;
  private static final List<Tile> firstRound = new ArrayList<>();
  private static long[] firstRoundStamps;
  private static final Map<String, Long> finalVersions = new HashMap<>();

  static FeatureView clicksView() {
    SlidingWindow five = SlidingWindow.of(Duration.ofMinutes(5), Duration.ofMinutes(1));
    SlidingWindow thirty = SlidingWindow.of(Duration.ofMinutes(30), Duration.ofMinutes(1));
    SlidingWindow hour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(1));
    return FeatureView.named("clicks_rt")
        .source(
            KafkaJsonSource.topic("clicks")
                .keyedBy("user_id")
                .eventTimeField("event_ts")
                .withMaxOutOfOrderness(Duration.ofSeconds(30)))
        .feature(Feature.named("clicks_5m").aggregate(count()).over(five))
        .feature(Feature.named("amount_30m").aggregate(sum("amount")).over(thirty))
        .feature(Feature.named("max_amount_1h").aggregate(max("amount")).over(hour))
        .feature(Feature.named("last_page_1h").aggregate(last("page")).over(hour))
        .derived(
            DerivedFeature.named("amount_per_click")
                .as(ratio(ref("amount_30m"), ref("clicks_5m"), 0)))
        .servedAtRequestTime(Duration.ofMinutes(1))
        .ttl(Duration.ofHours(2))
        .build();
  }

  @BeforeAll
  static void start() throws Exception {
    Catalog catalog =
        Catalog.of(List.of(UserActivity.view(), UserActivity.liveView(), clicksView()));
    fixture =
        new GatewayFixture(
            catalog,
            config ->
                config.withFeatureServices(
                    FeatureServiceResolver.of(
                        Map.of(
                            "mixed",
                            List.of(
                                "user_activity:event_count_1h",
                                "clicks_rt:clicks_5m",
                                "clicks_rt:amount_per_click")))));
    client = fixture.client;
    clicks = fixture.gateway.catalog().orElseThrow().plan("clicks_rt");
    activity = fixture.gateway.catalog().orElseThrow().plan("user_activity");
    assertThat(clicks.tileMillis()).isEqualTo(TILE);
    assertThat(clicks.maxWindowMillis()).isEqualTo(MAX_WINDOW);

    long now = System.currentTimeMillis();
    Random random = new Random(20261203);
    EVENTS.put("busy", events(random, 400, now - 100 * MINUTE, now - 2_000));
    EVENTS.put("recent", events(random, 25, now - 8 * MINUTE, now - 1_000));
    EVENTS.put("idle", events(random, 10, now - 170 * MINUTE, now - 150 * MINUTE));
    fixture.table.write(activity, ActivityRows.of("busy", recentWindowEnd(), 12, 1, 19.99));

    // three checkpoints, each holding a random third of the events (out of order), writing the
    // tiles it changed in their versions so far
    List<String[]> order = new ArrayList<>();
    for (Map.Entry<String, List<Event>> e : EVENTS.entrySet()) {
      for (int i = 0; i < e.getValue().size(); i++) {
        order.add(new String[] {e.getKey(), Integer.toString(i)});
      }
    }
    Collections.shuffle(order, random);
    Map<String, Map<Long, List<Event>>> seen = new HashMap<>();
    try (OnlineWriter writer =
        OnlineWriter.create(
            clicks, TestRedis.uri(GatewayFixture.DB), OnlineClients.Settings.forTool())) {
      int rounds = 3;
      for (int r = 0; r < rounds; r++) {
        Map<String, Map<Long, Boolean>> changed = new LinkedHashMap<>();
        for (String[] pick :
            order.subList(r * order.size() / rounds, (r + 1) * order.size() / rounds)) {
          Event ev = EVENTS.get(pick[0]).get(Integer.parseInt(pick[1]));
          long start = Math.floorDiv(ev.ts(), TILE) * TILE;
          seen.computeIfAbsent(pick[0], k -> new TreeMap<>())
              .computeIfAbsent(start, s -> new ArrayList<>())
              .add(ev);
          changed.computeIfAbsent(pick[0], k -> new LinkedHashMap<>()).put(start, true);
        }
        List<Tile> tiles = new ArrayList<>();
        for (Map.Entry<String, Map<Long, Boolean>> e : changed.entrySet()) {
          for (long start : e.getValue().keySet()) {
            List<Event> in = seen.get(e.getKey()).get(start);
            tiles.add(new Tile(e.getKey(), start, in.size(), payload(in)));
            finalVersions.put(e.getKey() + "@" + start, (long) in.size());
          }
        }
        long[] stamps = writer.writeTiles(tiles, 7);
        for (int i = 0; i < tiles.size(); i++) {
          if (now - tiles.get(i).start() < MAX_WINDOW - 10 * MINUTE) {
            assertThat(stamps[i]).as("first write of %s", tiles.get(i)).isPositive();
          }
          lastStamp = Math.max(lastStamp, stamps[i]);
        }
        if (r == 0) {
          firstRound.addAll(tiles);
          firstRoundStamps = stamps;
        }
      }
      // a replay of the first checkpoint after a restore: older versions are refused, the same
      // versions get their stamps back
      // versions, and tiles no read can select any more (older than the longest window, but for
      // an entity's newest) are not stored again
      long[] replayed = writer.writeTiles(firstRound, 5);
      long replayedAt = System.currentTimeMillis();
      for (int i = 0; i < firstRound.size(); i++) {
        Tile t = firstRound.get(i);
        long age = replayedAt - t.start();
        boolean newest = t.start() == newestStart(t.entityKey());
        if (finalVersions.get(t.entityKey() + "@" + t.start()) > t.version()
            || (!newest && age > MAX_WINDOW + 10 * MINUTE)) {
          assertThat(replayed[i]).as("replay of %s", t).isEqualTo(-1);
        } else if (newest || age < MAX_WINDOW - 10 * MINUTE) {
          assertThat(replayed[i]).as("replay of %s", t).isEqualTo(firstRoundStamps[i]);
        }
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  private static long newestStart(String entity) {
    long newest = Long.MIN_VALUE;
    for (Event e : EVENTS.get(entity)) {
      newest = Math.max(newest, Math.floorDiv(e.ts(), TILE) * TILE);
    }
    return newest;
  }

  private static List<Event> events(Random random, int n, long from, long to) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long ts = from + (long) (random.nextDouble() * (to - from));
      // distinct times, so "last" needs no tie-break
      ts = ts - Math.floorMod(ts, 1000) + i;
      out.add(new Event(ts, 0.25 * (1 + random.nextInt(400)), "p" + random.nextInt(9)));
    }
    return out;
  }

  /** The tile's bytes, folded with the job's aggregation code (the thing under test reads them). */
  private static byte[] payload(List<Event> events) throws Exception {
    List<FeaturePart.Aggregated> parts = clicks.aggregatedParts();
    @SuppressWarnings("unchecked")
    PartAggregator<Object, Object>[] aggs = new PartAggregator[parts.size()];
    Object[] accs = new Object[parts.size()];
    for (int i = 0; i < aggs.length; i++) {
      aggs[i] = PartAggregators.erased(parts.get(i).aggregation());
    }
    for (Event e : events) {
      for (int i = 0; i < aggs.length; i++) {
        String name = parts.get(i).name();
        accs[i] =
            switch (name) {
              case "clicks_5m" -> aggs[i].add(accs[i], 1.0, null, e.ts());
              case "amount_30m", "max_amount_1h" -> aggs[i].add(accs[i], e.amount(), null, e.ts());
              case "last_page_1h" -> aggs[i].add(accs[i], Double.NaN, e.page(), e.ts());
              default -> throw new IllegalStateException(name);
            };
      }
    }
    return new SliceCodec(aggs).encode(accs);
  }

  /** The brute force: the features at {@code t} over the raw events, or null when none. */
  private static Map<String, Object> expected(String entity, long t) {
    List<Event> events = EVENTS.get(entity);
    if (events == null) {
      return null;
    }
    long newest = newestStart(entity);
    if (t >= newest + TILE + MAX_WINDOW + TTL) {
      return null;
    }
    long count5 = 0;
    BigDecimal sum30 = BigDecimal.ZERO;
    Double max60 = null;
    Event last60 = null;
    for (Event e : events) {
      long s = Math.floorDiv(e.ts(), TILE) * TILE;
      if (in(s, t, 5 * MINUTE)) {
        count5++;
      }
      if (in(s, t, 30 * MINUTE)) {
        sum30 = sum30.add(new BigDecimal(e.amount()));
      }
      if (in(s, t, 60 * MINUTE)) {
        max60 = max60 == null ? e.amount() : Math.max(max60, e.amount());
        if (last60 == null || e.ts() > last60.ts()) {
          last60 = e;
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("clicks_5m", count5);
    out.put("amount_30m", sum30.doubleValue());
    out.put("max_amount_1h", max60);
    out.put("last_page_1h", last60 == null ? null : last60.page());
    out.put("amount_per_click", count5 == 0 ? 0.0 : sum30.doubleValue() / count5);
    return out;
  }

  private static boolean in(long tileStart, long t, long size) {
    return tileStart >= Math.floorDiv(t - size, TILE) * TILE && tileStart < t;
  }

  private static long micros(String instant) {
    assertThat(instant).matches(MICROS_INSTANT);
    Instant i = Instant.parse(instant);
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
  }

  private static Object jsonValue(JsonNode v) {
    if (v.isNull()) {
      return null;
    }
    if (v.isIntegralNumber()) {
      return v.longValue();
    }
    if (v.isNumber()) {
      return v.doubleValue();
    }
    return v.textValue();
  }

  @Test
  void get_features_serves_the_rules_value_at_the_request_instant_with_microseconds() {
    for (String entity : List.of("busy", "recent", "idle")) {
      HttpResponse<String> response = client.get("/features/clicks_rt/" + entity);

      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JsonNode body = json(response);
      long at = micros(body.get("feature_ts").textValue());
      assertThat(at).as("read after every write").isGreaterThanOrEqualTo(lastStamp);
      assertThat(body.get("status").textValue()).isEqualTo("PRESENT");
      Map<String, Object> expected = expected(entity, Math.floorDiv(at, 1000));
      Map<String, Object> actual = new LinkedHashMap<>();
      body.get("features")
          .fields()
          .forEachRemaining(f -> actual.put(f.getKey(), jsonValue(f.getValue())));
      assertThat(actual).as("%s at %s", entity, at).isEqualTo(expected);
    }
  }

  @Test
  void an_entity_whose_tiles_left_every_window_gets_the_empty_windows_values() {
    JsonNode body = json(client.get("/features/clicks_rt/idle"));

    assertThat(body.get("features").get("clicks_5m").longValue()).isZero();
    assertThat(body.get("features").get("max_amount_1h").isNull()).isTrue();
  }

  @Test
  void a_tile_that_cannot_be_read_spoils_only_its_entity() {
    String key = OnlineKeys.key(clicks, "broken");
    fixture.table.writeRawField(
        key,
        Long.toString(Math.floorDiv(System.currentTimeMillis(), TILE) * TILE),
        "no header".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    HttpResponse<String> lookup = client.get("/features/clicks_rt/broken");
    HttpResponse<String> feast =
        client.post(
            "/get-online-features",
            "{\"features\": [\"clicks_rt:clicks_5m\"],"
                + " \"entities\": {\"user_id\": [\"broken\", \"recent\"]}}");

    assertThat(lookup.statusCode()).as(lookup.body()).isEqualTo(500);
    assertThat(lookup.body()).contains("undecodable_online_value").contains(key);
    assertThat(feast.statusCode()).as(feast.body()).isEqualTo(200);
    assertThat(json(feast).get("results").get(1).get("statuses").toString())
        .isEqualTo("[\"INVALID\",\"PRESENT\"]");
  }

  @Test
  void redis_that_stops_answering_is_a_503_after_the_command_timeout() throws Exception {
    fixture.proxy.freeze();
    HttpResponse<String> lookup;
    HttpResponse<String> feast;
    try {
      lookup = client.get("/features/clicks_rt/busy");
      feast =
          client.post(
              "/get-online-features",
              "{\"features\": [\"clicks_rt:clicks_5m\", \"user_activity:event_count_1h\"],"
                  + " \"entities\": {\"user_id\": [\"busy\"]}}");
    } finally {
      fixture.proxy.thaw();
    }

    assertThat(lookup.statusCode()).as(lookup.body()).isEqualTo(503);
    assertThat(json(lookup).get("message").asText()).contains("timed out after 250 millisecond");
    assertThat(feast.statusCode()).as(feast.body()).isEqualTo(503);
    // serves again once Redis answers (the other tests of this class need it)
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (client.get("/features/clicks_rt/busy").statusCode() != 200) {
      assertThat(System.nanoTime()).as("serving again within 10 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  @Test
  void an_unknown_entity_is_not_found() {
    HttpResponse<String> response = client.get("/features/clicks_rt/nobody");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(404);
  }

  @Test
  void get_online_features_answers_in_feasts_shape_with_one_read_per_entity() {
    List<String> entities = List.of("busy", "nobody", "recent", "idle");
    List<String> features =
        List.of("clicks_5m", "amount_30m", "max_amount_1h", "last_page_1h", "amount_per_click");
    String request =
        "{\"features\": ["
            + String.join(", ", features.stream().map(f -> "\"clicks_rt:" + f + "\"").toList())
            + "], \"entities\": {\"user_id\": [\"busy\", \"nobody\", \"recent\", \"idle\"]}}";
    int mark = fixture.commands().size();

    HttpResponse<String> response = client.post("/get-online-features", request);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode results = json(response).get("results");
    assertThat(results).hasSize(1 + features.size());
    for (int r = 0; r < entities.size(); r++) {
      String entity = entities.get(r);
      String ts = results.get(1).get("event_timestamps").get(r).textValue();
      if (entity.equals("nobody")) {
        for (int f = 0; f < features.size(); f++) {
          JsonNode column = results.get(1 + f);
          assertThat(column.get("statuses").get(r).textValue()).isEqualTo("NOT_FOUND");
          assertThat(column.get("values").get(r).isNull()).isTrue();
          // "No value" holds at the request instant, reported as for a value: a training set
          // built as served reproduces the answer there.
          assertThat(column.get("event_timestamps").get(r).textValue())
              .isEqualTo(ts)
              .matches(MICROS_INSTANT);
        }
        continue;
      }
      long at = micros(ts);
      Map<String, Object> expected = expected(entity, Math.floorDiv(at, 1000));
      for (int f = 0; f < features.size(); f++) {
        JsonNode column = results.get(1 + f);
        Object value = jsonValue(column.get("values").get(r));
        assertThat(value)
            .as("%s of %s", features.get(f), entity)
            .isEqualTo(expected.get(features.get(f)));
        assertThat(column.get("statuses").get(r).textValue())
            .isEqualTo(value == null ? "NULL_VALUE" : "PRESENT");
        assertThat(column.get("event_timestamps").get(r).textValue()).isEqualTo(ts);
      }
    }
    List<RespCommandLog.Command> sent = fixture.commandsSince(mark);
    List<String> evals =
        sent.stream()
            .filter(c -> c.name().equals("EVALSHA") || c.name().equals("EVAL"))
            .map(c -> c.args().get(2))
            .distinct()
            .toList();
    assertThat(sent).extracting(RespCommandLog.Command::name).doesNotContain("MGET", "HGETALL");
    assertThat(evals)
        .containsExactlyInAnyOrder(
            entities.stream().map(e -> OnlineKeys.key(clicks, e)).toArray(String[]::new));
  }

  @Test
  void a_feature_service_mixes_window_end_rows_read_with_one_script_and_request_time_values() {
    int mark = fixture.commands().size();

    HttpResponse<String> response = client.get("/feature-services/mixed/busy");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode views = json(response).get("views");
    assertThat(views.get(0).get("view").textValue()).isEqualTo("user_activity");
    assertThat(views.get(0).get("feature_ts").textValue())
        .isEqualTo(Instant.ofEpochMilli(recentWindowEnd()).toString());
    assertThat(views.get(0).get("features").get("event_count_1h").longValue()).isEqualTo(12);
    assertThat(views.get(1).get("view").textValue()).isEqualTo("clicks_rt");
    long at = micros(views.get(1).get("feature_ts").textValue());
    Map<String, Object> expected = expected("busy", Math.floorDiv(at, 1000));
    assertThat(jsonValue(views.get(1).get("features").get("clicks_5m")))
        .isEqualTo(expected.get("clicks_5m"));
    assertThat(jsonValue(views.get(1).get("features").get("amount_per_click")))
        .isEqualTo(expected.get("amount_per_click"));
    List<RespCommandLog.Command> sent = fixture.commandsSince(mark);
    assertThat(sent.stream().filter(RespCommandLog.Command::rowRead).toList())
        .singleElement()
        .satisfies(
            c -> assertThat(c.scriptKeys()).containsExactly(OnlineKeys.key(activity, "busy")));
    assertThat(
            sent.stream()
                .filter(c -> c.name().startsWith("EVAL") && !c.rowRead())
                .map(c -> c.args().get(2))
                .distinct())
        .containsExactly(OnlineKeys.key(clicks, "busy"));
  }
}
