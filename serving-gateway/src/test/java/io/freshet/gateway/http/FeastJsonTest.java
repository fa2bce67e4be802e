package io.freshet.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.examples.UserActivity;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.gateway.online.FeatureStatus;
import io.freshet.gateway.online.FieldStatus;
import io.freshet.gateway.online.OnlineFeatures;
import io.freshet.gateway.online.RowKey;
import io.freshet.gateway.online.RowRead;
import io.freshet.gateway.online.UndecodableOnlineValueException;
import io.freshet.gateway.query.FeatureColumns;
import io.freshet.gateway.query.OnlineFeaturesRequest;
import io.freshet.gateway.query.OnlineQuery;
import io.freshet.plan.Catalog;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import io.freshet.storage.FeatureRow;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streamed Feast answer against a JSON tree built from its documented shape: the same bytes for
 * random requests and rows (found, missing, undecodable, outside max age; null values, NaN,
 * infinities; window-end and request-time views; integer and Unicode entity keys).
 */
class FeastJsonTest {
  private static final Catalog CATALOG =
      Catalog.of(
          List.of(
              UserActivity.view(),
              UserActivity.liveView(),
              UserActivity.view(
                  "user_activity_5m",
                  java.time.Duration.ofMinutes(5),
                  java.time.Duration.ofMinutes(1))));
  private static final String[] KEYS = {"\"user_42\"", "7", "\"é😀\"", "\"quote\\\"d\"", "-3"};

  @Test
  void streamed_answer_equals_the_documented_tree() throws Exception {
    Random random = new Random(11);
    Constructor<UndecodableOnlineValueException> undecodable =
        UndecodableOnlineValueException.class.getDeclaredConstructor(
            String.class, IllegalArgumentException.class);
    undecodable.setAccessible(true);
    for (int i = 0; i < 500; i++) {
      boolean fullNames = random.nextBoolean();
      List<String> refs = new ArrayList<>();
      java.util.Set<String> columnNames = new java.util.HashSet<>();
      for (ViewPlan plan : CATALOG.plans()) {
        for (FeaturePart part : plan.parts()) {
          boolean distinct = columnNames.add(fullNames ? plan.name() + part.name() : part.name());
          if (random.nextInt(3) == 0 && distinct) {
            refs.add("\"" + plan.name() + ":" + part.name() + "\"");
          }
        }
      }
      if (refs.isEmpty()) {
        refs.add("\"user_activity:event_count_1h\"");
      }
      Collections.shuffle(refs, random);
      int rows = 1 + random.nextInt(5);
      List<String> keys = new ArrayList<>();
      for (int r = 0; r < rows; r++) {
        keys.add(KEYS[random.nextInt(KEYS.length)]);
      }
      String body =
          "{\"features\": ["
              + String.join(",", refs)
              + "], \"entities\": {\"user_id\": ["
              + String.join(",", keys)
              + "]}, \"full_feature_names\": "
              + fullNames
              + "}";
      OnlineFeaturesRequest request =
          OnlineFeaturesRequest.parse(
              JsonResponses.STRICT_READER.readTree(body), GatewayLimits.defaults());
      OnlineQuery query = OnlineQuery.resolve(request, CATALOG, FeatureServiceResolver.none());
      long readMicros = 1_764_758_400_000_000L + random.nextInt(1_000_000_000);
      List<RowRead> reads = new ArrayList<>();
      for (RowKey key : query.keys()) {
        long at = random.nextInt(8) == 0 ? RowRead.NO_INSTANT : readMicros;
        int kind = random.nextInt(4);
        if (kind == 0) {
          reads.add(new RowRead(key, null, null, at));
        } else if (kind == 1 && !key.plan().requestTime()) {
          reads.add(
              new RowRead(
                  key,
                  null,
                  undecodable.newInstance("k", new IllegalArgumentException("corrupt")),
                  at));
        } else {
          reads.add(new RowRead(key, found(key, random, readMicros), null, at));
        }
      }
      byte[] streamed = FeastJson.write(query, reads, 0L).getBytes();
      byte[] tree = JsonResponses.bytes(tree(query, reads));
      assertThat(new String(streamed, StandardCharsets.UTF_8))
          .isEqualTo(new String(tree, StandardCharsets.UTF_8));
    }
  }

  private static OnlineFeatures found(RowKey key, Random random, long readMicros) {
    ViewPlan plan = key.plan();
    int width = plan.parts().stream().mapToInt(FeaturePart::index).max().orElse(0) + 1;
    Object[] values = new Object[width];
    double[] doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 1.5};
    for (FeaturePart part : plan.parts()) {
      if (random.nextInt(4) == 0) {
        continue;
      }
      values[part.index()] =
          switch (part.type()) {
            case INT64 -> random.nextLong();
            case FLOAT64 ->
                random.nextBoolean()
                    ? doubles[random.nextInt(doubles.length)]
                    : random.nextDouble();
            case STRING -> "s" + random.nextInt(9) + "é";
            case STRING_LIST -> List.of("a", "😀");
          };
    }
    long featureTs = (readMicros / 1000) - random.nextInt(10_000_000);
    FeatureRow row = new FeatureRow(key.entityKey(), featureTs, values);
    if (plan.requestTime()) {
      return new OnlineFeatures(plan, row, FeatureStatus.PRESENT, readMicros);
    }
    FeatureStatus status =
        random.nextBoolean() ? FeatureStatus.PRESENT : FeatureStatus.OUTSIDE_MAX_AGE;
    return new OnlineFeatures(plan, row, status);
  }

  /** The answer as FeastJson documents it, built as a tree. */
  private static ObjectNode tree(OnlineQuery query, List<RowRead> reads) {
    ObjectNode root = JsonResponses.MAPPER.createObjectNode();
    ObjectNode metadata = root.putObject("metadata");
    ArrayNode names = metadata.putArray("feature_names");
    Map<String, List<JsonNode>> entities = query.request().entities();
    entities.keySet().forEach(names::add);
    List<FeatureColumns.Column> columns = query.columns().columns();
    columns.forEach(c -> names.add(c.name()));
    ArrayNode instants = metadata.putArray("request_instants");
    int rows = query.request().rows();
    for (int r = 0; r < rows; r++) {
      String first = null;
      String instant = null;
      boolean windowEnd = false;
      for (int v = 0; v < query.columns().views().size(); v++) {
        RowRead read = reads.get(query.keyIndex(v, r));
        if (!read.key().plan().requestTime()) {
          instant = read.requestInstant();
          windowEnd = true;
          break;
        }
        if (first == null) {
          first = read.requestInstant();
        }
      }
      instants.add(windowEnd ? instant : first);
    }
    ArrayNode results = root.putArray("results");
    for (List<JsonNode> values : entities.values()) {
      ObjectNode column = results.addObject();
      ArrayNode v = column.putArray("values");
      values.forEach(v::add);
      ArrayNode s = column.putArray("statuses");
      ArrayNode t = column.putArray("event_timestamps");
      for (int r = 0; r < rows; r++) {
        s.add("PRESENT");
        t.add("1970-01-01T00:00:00Z");
      }
    }
    for (FeatureColumns.Column c : columns) {
      ObjectNode column = results.addObject();
      ArrayNode v = column.putArray("values");
      ArrayNode s = column.putArray("statuses");
      ArrayNode t = column.putArray("event_timestamps");
      for (int r = 0; r < rows; r++) {
        RowRead read = reads.get(query.keyIndex(c.view(), r));
        Object value = read.found() == null ? null : read.found().row().values()[c.part().index()];
        if (value == null) {
          v.addNull();
        } else {
          switch (c.part().type()) {
            case INT64 -> v.add(((Number) value).longValue());
            case FLOAT64 -> v.add(((Number) value).doubleValue());
            case STRING -> v.add(value.toString());
            case STRING_LIST -> {
              ArrayNode list = v.addArray();
              ((List<?>) value).forEach(e -> list.add(String.valueOf(e)));
            }
          }
        }
        s.add(FieldStatus.of(read.rowStatus(), value).name());
        String at = read.eventTimestamp();
        t.add(at == null ? "1970-01-01T00:00:00Z" : at);
      }
    }
    return root;
  }
}
