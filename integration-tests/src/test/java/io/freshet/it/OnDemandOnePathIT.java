package io.freshet.it;

import static io.freshet.dsl.OnDemandExpression.abs;
import static io.freshet.dsl.OnDemandExpression.add;
import static io.freshet.dsl.OnDemandExpression.atLeast;
import static io.freshet.dsl.OnDemandExpression.atMost;
import static io.freshet.dsl.OnDemandExpression.coalesce;
import static io.freshet.dsl.OnDemandExpression.divide;
import static io.freshet.dsl.OnDemandExpression.equal;
import static io.freshet.dsl.OnDemandExpression.feature;
import static io.freshet.dsl.OnDemandExpression.field;
import static io.freshet.dsl.OnDemandExpression.greaterThan;
import static io.freshet.dsl.OnDemandExpression.lessThan;
import static io.freshet.dsl.OnDemandExpression.log;
import static io.freshet.dsl.OnDemandExpression.max;
import static io.freshet.dsl.OnDemandExpression.min;
import static io.freshet.dsl.OnDemandExpression.multiply;
import static io.freshet.dsl.OnDemandExpression.notEqual;
import static io.freshet.dsl.OnDemandExpression.number;
import static io.freshet.dsl.OnDemandExpression.secondsSince;
import static io.freshet.dsl.OnDemandExpression.subtract;
import static io.freshet.dsl.OnDemandExpression.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.dsl.Aggregation;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import io.freshet.gateway.GatewayConfig;
import io.freshet.gateway.GatewayServer;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.offline.OfflineTable;
import io.freshet.online.OnlineCodec;
import io.freshet.online.OnlineKeys;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import io.freshet.testing.TestPostgres;
import io.freshet.testing.TestRedis;
import io.freshet.training.FeatureSelection;
import io.freshet.training.LabelSource;
import io.freshet.training.TrainingSetBuilder;
import io.freshet.training.TrainingSetOutput;
import io.freshet.training.TrainingSetRequest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One evaluation path for on-demand features: the same stored rows are written to a real Postgres
 * offline table and a real Redis online table; the gateway (its clock fixed at an instant {@code
 * L}) answers a request with request data, and a training set is built from labels at {@code L}
 * holding the same request data as columns. For every entity row and every on-demand feature, of
 * every expression kind, the gateway's JSON value (the token's text as sent: a number's digits, a
 * boolean, a string, null) equals the CSV cell byte for byte (null as an empty cell), whether the
 * request data came in {@code request_context} or as extra columns of {@code entities}.
 *
 * <p>Stored values include nulls, zeros, negatives, NaN, infinities and huge values; some entities
 * have no row in either store. {@code seen_ms} is declared as a count (an INT64 feature) and holds
 * epoch milliseconds written directly to both stores, as a timestamp feature would.
 */
class OnDemandOnePathIT {
  private static final int USERS = 60;
  private static final ObjectMapper JSON = new ObjectMapper();

  static final FeatureView VIEW =
      FeatureView.named("od_activity")
          .source(KafkaJsonSource.topic("od-events").keyedBy("user_id").eventTimeField("ts"))
          .feature(Feature.named("n").aggregate(Aggregation.count()).over(window()))
          .feature(Feature.named("total").aggregate(Aggregation.sum("revenue")).over(window()))
          .feature(Feature.named("platform").aggregate(Aggregation.last("platform")).over(window()))
          .feature(Feature.named("seen_ms").aggregate(Aggregation.count()).over(window()))
          .ttl(Duration.ofDays(1))
          .availabilityDelay(Duration.ZERO)
          .build();

  static final FeatureService SERVICE =
      FeatureService.named("od_checkout")
          .features("od_activity:n")
          .requestField("amount", FeatureType.FLOAT64)
          .requestField("at", FeatureType.INT64)
          .requestField("channel", FeatureType.STRING)
          .onDemand("plus", add(field("amount"), feature("od_activity:total")))
          .onDemand("minus", subtract(field("amount"), feature("od_activity:n")))
          .onDemand("times", multiply(field("amount"), feature("od_activity:total")))
          .onDemand("ratio", divide(field("amount"), feature("od_activity:total"), -1))
          .onDemand("lt", lessThan(field("amount"), feature("od_activity:total")))
          .onDemand("le", atMost(field("amount"), feature("od_activity:n")))
          .onDemand("gt", greaterThan(field("amount"), number(10)))
          .onDemand("ge", atLeast(feature("od_activity:total"), field("amount")))
          .onDemand("eq", equal(feature("od_activity:n"), number(3)))
          .onDemand("ne", notEqual(field("amount"), feature("od_activity:total")))
          .onDemand("same_platform", equal(feature("od_activity:platform"), field("channel")))
          .onDemand("other_platform", notEqual(feature("od_activity:platform"), text("web")))
          .onDemand("lo", min(field("amount"), feature("od_activity:total")))
          .onDemand("hi", max(field("amount"), feature("od_activity:total")))
          .onDemand("dist", abs(subtract(field("amount"), feature("od_activity:total"))))
          .onDemand("ln", log(feature("od_activity:total")))
          .onDemand("ln_or_zero", coalesce(log(field("amount")), number(0)))
          .onDemand("platform_or_none", coalesce(feature("od_activity:platform"), text("none")))
          .onDemand("since_seen", secondsSince(feature("od_activity:seen_ms")))
          .onDemand("since_at", secondsSince(field("at")))
          .onDemand(
              "amount_vs_total",
              coalesce(divide(field("amount"), feature("od_activity:total"), 0), number(0)))
          .build();

  private static SlidingWindow window() {
    return SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
  }

  @TempDir Path dir;

  @Test
  void the_gateway_and_a_training_set_give_the_same_bytes_for_every_on_demand_feature()
      throws Exception {
    Catalog catalog = Catalog.of(List.of(VIEW), List.of(SERVICE));
    ViewPlan plan = catalog.plan("od_activity");
    String pgUrl = TestPostgres.freshDatabase("freshet_on_demand");
    String redisUrl = TestRedis.uri(14);
    TrainingSetBuilder builder = TrainingSetBuilder.open(catalog, pgUrl);

    Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(60);
    long featureTs = at.truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(1)).toEpochMilli();
    Random random = new Random(23);
    double[] totals = {0, -3.5, 2.5, 1e300, -1e300, Double.NaN, Double.POSITIVE_INFINITY, 7, 1e-9};
    String[] platforms = {"web", "ios", "Zürich ☃", ""};
    List<FeatureRow> rows = new ArrayList<>();
    for (int u = 0; u < USERS; u++) {
      if (u % 7 == 3) {
        continue; // no row in either store
      }
      Object[] values = new Object[plan.parts().size()];
      values[part(plan, "n")] = (long) random.nextInt(6) - 1;
      values[part(plan, "total")] =
          random.nextInt(8) == 0 ? null : totals[random.nextInt(totals.length)];
      values[part(plan, "platform")] =
          random.nextInt(6) == 0 ? null : platforms[random.nextInt(platforms.length)];
      values[part(plan, "seen_ms")] =
          random.nextInt(6) == 0 ? null : at.toEpochMilli() - random.nextInt(90_000_000);
      rows.add(new FeatureRow("user_" + u, featureTs, values));
    }
    writeOffline(pgUrl, plan, rows, at.minus(Duration.ofMinutes(30)));
    writeOnline(redisUrl, plan, rows);

    // The request data, one value per entity row; nulls included.
    List<String> users = new ArrayList<>();
    List<Double> amounts = new ArrayList<>();
    List<Long> ats = new ArrayList<>();
    List<String> channels = new ArrayList<>();
    double[] amountChoices = {0, -2, 10, 10.5, 1e300, 3, 2.5, 0.1};
    for (int u = 0; u < USERS; u++) {
      users.add("user_" + u);
      amounts.add(
          random.nextInt(7) == 0 ? null : amountChoices[random.nextInt(amountChoices.length)]);
      ats.add(random.nextInt(7) == 0 ? null : at.toEpochMilli() - random.nextInt(5_000_000));
      channels.add(random.nextInt(7) == 0 ? null : platforms[random.nextInt(3)]);
    }

    List<List<String>> fromContext;
    List<List<String>> fromEntities;
    try (GatewayServer gateway =
        GatewayServer.start(
            new GatewayConfig(0, redisUrl, catalog)
                .withFeatureServices(FeatureServiceResolver.ofServices(List.of(SERVICE))),
            Clock.fixed(at, ZoneOffset.UTC))) {
      fromContext = ask(gateway.port(), users, amounts, ats, channels, true);
      fromEntities = ask(gateway.port(), users, amounts, ats, channels, false);
    }

    Path labels = dir.resolve("labels.csv");
    StringBuilder csv = new StringBuilder("user_id,event_timestamp,amount,at,channel\n");
    for (int u = 0; u < USERS; u++) {
      csv.append(users.get(u))
          .append(',')
          .append(at)
          .append(',')
          .append(amounts.get(u) == null ? "" : Double.toString(amounts.get(u)))
          .append(',')
          .append(ats.get(u) == null ? "" : Long.toString(ats.get(u)))
          .append(',')
          .append(channels.get(u) == null ? "" : quoted(channels.get(u)))
          .append('\n');
    }
    Files.writeString(labels, csv, StandardCharsets.UTF_8);
    Path out = dir.resolve("train.csv");
    builder.build(
        TrainingSetRequest.of(
            LabelSource.csv(labels),
            FeatureSelection.service("od_checkout"),
            TrainingSetOutput.csv(out)));
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    List<String> header = cells(lines.get(0));
    List<String> names = SERVICE.onDemand().stream().map(f -> f.name()).toList();
    assertThat(header.subList(header.size() - names.size(), header.size())).isEqualTo(names);

    int nonNull = 0;
    for (int u = 0; u < USERS; u++) {
      List<String> cells = cells(lines.get(u + 1));
      List<String> training = cells.subList(cells.size() - names.size(), cells.size());
      for (int o = 0; o < names.size(); o++) {
        String expected = training.get(o);
        assertThat(fromContext.get(o).get(u))
            .as("%s of %s (request_context)", names.get(o), users.get(u))
            .isEqualTo(expected);
        assertThat(fromEntities.get(o).get(u))
            .as("%s of %s (entities)", names.get(o), users.get(u))
            .isEqualTo(expected);
        if (expected != null) {
          nonNull++;
        }
      }
    }
    // Every kind produced values, not only nulls.
    for (int o = 0; o < names.size(); o++) {
      int column = o;
      assertThat(fromContext.get(o).stream().filter(v -> v != null).count())
          .as("values of %s", names.get(column))
          .isGreaterThan(5);
    }
    assertThat(nonNull).isGreaterThan(USERS * names.size() / 2);
  }

  /** The on-demand columns of the gateway's answer, by output then row: each token's text. */
  private static List<List<String>> ask(
      int port,
      List<String> users,
      List<Double> amounts,
      List<Long> ats,
      List<String> channels,
      boolean requestContext)
      throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("feature_service", "od_checkout");
    ObjectNode entities = body.putObject("entities");
    ArrayNode ids = entities.putArray("user_id");
    users.forEach(ids::add);
    ObjectNode data = requestContext ? body.putObject("request_context") : entities;
    ArrayNode a = data.putArray("amount");
    amounts.forEach(a::add);
    ArrayNode t = data.putArray("at");
    ats.forEach(t::add);
    ArrayNode c = data.putArray("channel");
    channels.forEach(c::add);
    body.put("an_unknown_field", "ignored as Feast ignores it");
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/get-online-features"))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    // Tokens as sent: read with a streaming parser, never through a tree that reformats numbers.
    List<List<String>> results = new ArrayList<>();
    try (JsonParser p = new JsonFactory().createParser(response.body())) {
      int depth = 0;
      boolean inResults = false;
      List<String> values = null;
      for (JsonToken tok = p.nextToken(); tok != null; tok = p.nextToken()) {
        if (tok == JsonToken.FIELD_NAME && p.currentName().equals("results") && depth == 1) {
          inResults = true;
        } else if (inResults && tok == JsonToken.FIELD_NAME && p.currentName().equals("values")) {
          values = new ArrayList<>();
          p.nextToken();
          for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
            values.add(v == JsonToken.VALUE_NULL ? null : p.getText());
          }
          results.add(values);
        } else if (tok.isStructStart()) {
          depth++;
        } else if (tok.isStructEnd()) {
          depth--;
        }
      }
    }
    // Entity columns first (user_id, plus the request columns when sent in entities), then n.
    int first = results.size() - SERVICE.onDemand().size();
    assertThat(first).isEqualTo(requestContext ? 2 : 5);
    return results.subList(first, results.size());
  }

  private static int part(ViewPlan plan, String name) {
    return plan.parts().stream()
        .filter(p -> p.name().equals(name))
        .findFirst()
        .orElseThrow()
        .index();
  }

  private static void writeOffline(
      String url, ViewPlan plan, List<FeatureRow> rows, Instant committedAt) throws Exception {
    OfflineTable table = OfflineTable.of(plan);
    try (Connection c = DriverManager.getConnection(url)) {
      try (Statement s = c.createStatement()) {
        for (String sql : table.createStatements()) {
          s.execute(sql);
        }
      }
      StringBuilder cols = new StringBuilder("entity_key, feature_ts");
      StringBuilder marks = new StringBuilder("?, ?");
      for (FeaturePart p : plan.parts()) {
        cols.append(", \"").append(p.name()).append('"');
        marks.append(", ?");
      }
      String sql =
          "INSERT INTO "
              + table.qualifiedName()
              + " ("
              + cols
              + ", committed_at) VALUES ("
              + marks
              + ", ?)";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (FeatureRow r : rows) {
          int i = 1;
          ps.setString(i++, r.entityKey());
          ps.setObject(i++, Instant.ofEpochMilli(r.featureTs()).atOffset(ZoneOffset.UTC));
          for (FeaturePart p : plan.parts()) {
            Object v = r.values()[p.index()];
            switch (p.type()) {
              case INT64 -> ps.setObject(i++, v, java.sql.Types.BIGINT);
              case FLOAT64 -> ps.setObject(i++, v, java.sql.Types.DOUBLE);
              default -> ps.setString(i++, (String) v);
            }
          }
          ps.setObject(i, committedAt.atOffset(ZoneOffset.UTC));
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  private static void writeOnline(String url, ViewPlan plan, List<FeatureRow> rows) {
    RedisClient client = RedisClient.create(url);
    RedisCodec<String, byte[]> codec = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    try (StatefulRedisConnection<String, byte[]> connection = client.connect(codec)) {
      RedisCommands<String, byte[]> redis = connection.sync();
      redis.flushdb();
      OnlineCodec encoder = new OnlineCodec(plan);
      for (FeatureRow r : rows) {
        redis.set(
            OnlineKeys.key(plan, r.entityKey()),
            encoder.encode(r),
            SetArgs.Builder.pxAt(r.featureTs() + plan.ttl().toMillis()));
      }
    } finally {
      client.shutdown();
    }
  }

  private static String quoted(String s) {
    return s.isEmpty() ? "\"\"" : s;
  }

  /** The cells of one CSV line (no line breaks in these values): unquoted empty is null. */
  private static List<String> cells(String line) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i <= line.length()) {
      if (i < line.length() && line.charAt(i) == '"') {
        StringBuilder s = new StringBuilder();
        i++;
        while (true) {
          char ch = line.charAt(i++);
          if (ch == '"') {
            if (i < line.length() && line.charAt(i) == '"') {
              s.append('"');
              i++;
            } else {
              break;
            }
          } else {
            s.append(ch);
          }
        }
        out.add(s.toString());
        i++; // the comma
      } else {
        int end = line.indexOf(',', i);
        if (end < 0) {
          end = line.length();
        }
        String cell = line.substring(i, end);
        out.add(cell.isEmpty() ? null : cell);
        i = end + 1;
      }
    }
    return out;
  }
}
