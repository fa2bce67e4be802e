package io.freshet.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.examples.UserActivity;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.catalog.FeatureRef;
import io.freshet.gateway.query.FeatureColumns;
import io.freshet.gateway.query.OnlineFeaturesRequest;
import io.freshet.gateway.query.PlainRequestReader;
import io.freshet.gateway.query.RequestRejection;
import io.freshet.plan.Catalog;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming reader of get-online-features bodies against the tree path it stands in for: what
 * it accepts, the tree path reads to the same request; what the tree path refuses, it leaves to the
 * tree path (returns null), so every fault is still named as before.
 */
class PlainRequestReaderTest {
  private static final GatewayLimits LIMITS =
      GatewayLimits.defaults().withMaxFeatures(5).withMaxEntities(4);

  private final PlainRequestReader reader =
      new PlainRequestReader(JsonResponses.STRICT_READER.getFactory(), LIMITS);

  /** The tree path's request, or the rejection it answers with. */
  private static Object tree(String body) {
    try {
      JsonNode root = JsonResponses.STRICT_READER.readTree(body.getBytes(StandardCharsets.UTF_8));
      if (root == null || root.isMissingNode()) {
        return "no JSON value";
      }
      return OnlineFeaturesRequest.parse(root, LIMITS);
    } catch (RequestRejection r) {
      return r;
    } catch (java.io.IOException e) {
      return e;
    }
  }

  private void agrees(String body) {
    Object expected = tree(body);
    OnlineFeaturesRequest fast = reader.read(body.getBytes(StandardCharsets.UTF_8));
    if (expected instanceof OnlineFeaturesRequest r) {
      if (fast != null) {
        assertThat(fast).as(body).isEqualTo(r);
        // Read twice: the kept feature list answers the same.
        assertThat(reader.read(body.getBytes(StandardCharsets.UTF_8))).as(body).isEqualTo(r);
      }
    } else {
      assertThat(fast).as("%s (tree path: %s)", body, expected).isNull();
    }
  }

  @Test
  void reads_the_plain_shape_as_the_tree_path_does() {
    String body =
        "{\"features\": [\"user_activity:event_count_1h\", \"user_activity:revenue_1h\"],"
            + " \"entities\": {\"user_id\": [\"user_42\", 7, 9007199254740993, \"é😀\"]},"
            + " \"full_feature_names\": true}";
    OnlineFeaturesRequest fast = reader.read(body.getBytes(StandardCharsets.UTF_8));
    assertThat(fast).isNotNull().isEqualTo(tree(body));
    assertThat(fast.rows()).isEqualTo(4);
    assertThat(fast.entities().get("user_id").get(1).isInt()).isTrue();
    assertThat(fast.entities().get("user_id").get(2).isLong()).isTrue();
    agrees("{\"feature_service\": \"checkout\", \"entities\": {\"a\": [\"x\"], \"b\": [1]}}");
    agrees(
        "{\"entities\": {\"a\": [\"x\"]}, \"features\": [\"v:f\"], \"full_feature_names\": false}");
  }

  @Test
  void leaves_every_fault_to_the_tree_path() {
    List<String> bodies =
        List.of(
            "",
            "   ",
            "[]",
            "null",
            "{}",
            "{\"features\": [\"v:f\"]}",
            "{\"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"x\"]}} {}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"x\"]}} x",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"x\"]},}",
            "{\"features\": [\"v:f\"], \"features\": [\"v:g\"], \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"x\"], \"a\": [\"y\"]}}",
            "{\"features\": [\"v:f\"], \"feature_service\": \"s\", \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [], \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [\"v:f\", \"v:f\"], \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [\"vf\"], \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [\"v:f:g\"], \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [\":f\"], \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [1], \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [[\"v:f\"]], \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": \"v:f\", \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [\"v:a\",\"v:b\",\"v:c\",\"v:d\",\"v:e\",\"v:f\"],"
                + " \"entities\": {\"a\": [\"x\"]}}",
            "{\"feature_service\": \" \", \"entities\": {\"a\": [\"x\"]}}",
            "{\"feature_service\": 3, \"entities\": {\"a\": [\"x\"]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"x\"]}, \"full_feature_names\": 1}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"x\"]}, \"extra\": 1}",
            "{\"features\": [\"v:f\"], \"entities\": []}",
            "{\"features\": [\"v:f\"], \"entities\": {}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": []}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": \"x\"}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"\"]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"\\ud800\"]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [1.5]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [1e3]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [true]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [null]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [{}]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [123456789012345678901234567890]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"x\"], \"b\": [\"x\", \"y\"]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"1\",\"2\",\"3\",\"4\",\"5\"]}}",
            "{\"features\": [\"v:f\"], \"entities\": {\"a\": [\"x\"]",
            "{\"features\": [\"v:f\"");
    for (String body : bodies) {
      agrees(body);
    }
    // Bytes that are not UTF-8 inside a kept list's text are never accepted.
    byte[] bad =
        "{\"features\": [\"v:\u00e9\"], \"entities\": {\"a\": [\"x\"]}}"
            .getBytes(StandardCharsets.ISO_8859_1);
    assertThat(reader.read(bad)).isNull();
  }

  @Test
  void random_bodies_agree_with_the_tree_path() {
    Random random = new Random(20261203);
    String[] atoms = {
      "\"features\"",
      "\"feature_service\"",
      "\"entities\"",
      "\"full_feature_names\"",
      "\"x\"",
      "\"v:f\"",
      "\"v:g\"",
      "\"w:f\"",
      "\"v:\"",
      "\"\"",
      "\"s\"",
      "\"\\u00e9\"",
      "\"\\ud83d\"",
      "1",
      "-7",
      "2.5",
      "99999999999",
      "true",
      "false",
      "null",
      "{",
      "}",
      "[",
      "]",
      ",",
      ":"
    };
    for (int i = 0; i < 3000; i++) {
      agrees(randomBody(random, atoms));
    }
  }

  /** A body near the plain shape: mostly well-formed, with random faults. */
  private static String randomBody(Random random, String[] atoms) {
    StringBuilder b = new StringBuilder("{");
    List<String> fields = new ArrayList<>(List.of("features", "entities"));
    if (random.nextInt(4) == 0) {
      fields.set(0, "feature_service");
    }
    if (random.nextInt(3) == 0) {
      fields.add("full_feature_names");
    }
    if (random.nextInt(10) == 0) {
      fields.add(atoms[random.nextInt(atoms.length)].replace("\"", ""));
    }
    java.util.Collections.shuffle(fields, random);
    for (int f = 0; f < fields.size(); f++) {
      if (f > 0) {
        b.append(',');
      }
      String field = fields.get(f);
      b.append('"').append(field).append("\":");
      switch (field) {
        case "features" -> {
          b.append('[');
          int n = random.nextInt(7);
          for (int k = 0; k < n; k++) {
            b.append(k > 0 ? "," : "");
            b.append(random.nextInt(12) == 0 ? atoms[random.nextInt(atoms.length)] : ref(random));
          }
          b.append(']');
        }
        case "feature_service" ->
            b.append(random.nextInt(5) == 0 ? atoms[random.nextInt(atoms.length)] : "\"svc\"");
        case "full_feature_names" ->
            b.append(new String[] {"true", "false", "null", "1"}[random.nextInt(4)]);
        case "entities" -> {
          b.append('{');
          int keys = 1 + random.nextInt(2);
          int rows = 1 + random.nextInt(4);
          for (int k = 0; k < keys; k++) {
            b.append(k > 0 ? "," : "").append("\"k").append(k).append("\":[");
            int n = random.nextInt(8) == 0 ? random.nextInt(6) : rows;
            for (int r = 0; r < n; r++) {
              b.append(r > 0 ? "," : "");
              b.append(
                  random.nextInt(8) == 0
                      ? atoms[random.nextInt(atoms.length)]
                      : random.nextBoolean()
                          ? "\"user_" + random.nextInt(100) + "\""
                          : Long.toString(random.nextLong() >> random.nextInt(64)));
            }
            b.append(']');
          }
          b.append('}');
        }
        default -> b.append(atoms[random.nextInt(atoms.length)]);
      }
    }
    b.append('}');
    if (random.nextInt(15) == 0) {
      int cut = random.nextInt(b.length());
      return b.substring(0, cut);
    }
    if (random.nextInt(15) == 0) {
      b.insert(random.nextInt(b.length()), atoms[random.nextInt(atoms.length)]);
    }
    return b.toString();
  }

  private static String ref(Random random) {
    return "\"" + "vw".charAt(random.nextInt(2)) + ":" + "fgh".charAt(random.nextInt(3)) + "\"";
  }

  @Test
  void a_kept_list_resolves_once_per_catalog_and_its_faults_are_still_named() {
    Catalog catalog = Catalog.of(List.of(UserActivity.view()));
    String body =
        "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\": [\"a\"]}}";
    List<FeatureRef> refs = reader.read(body.getBytes(StandardCharsets.UTF_8)).features();
    FeatureColumns first = FeatureColumns.ofFeatures(refs, catalog, false);
    List<FeatureRef> again = reader.read(body.getBytes(StandardCharsets.UTF_8)).features();
    assertThat(again).isSameAs(refs);
    assertThat(FeatureColumns.ofFeatures(again, catalog, false)).isSameAs(first);
    FeatureColumns full = FeatureColumns.ofFeatures(again, catalog, true);
    assertThat(full.columns().get(0).name()).isEqualTo("user_activity__event_count_1h");
    assertThat(FeatureColumns.ofFeatures(again, catalog, false))
        .isEqualTo(FeatureColumns.ofFeatures(List.copyOf(again), catalog, false));
    Catalog other = Catalog.of(List.of(UserActivity.liveView()));
    assertThatThrownBy(() -> FeatureColumns.ofFeatures(again, other, false))
        .isInstanceOf(RequestRejection.class)
        .hasMessageContaining("unknown feature view 'user_activity'");
    assertThat(FeatureColumns.ofFeatures(again, catalog, false).columns())
        .isEqualTo(first.columns());
  }
}
