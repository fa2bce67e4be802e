package io.freshet.gateway.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.GatewayLimits;
import io.freshet.gateway.catalog.FeatureRef;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /get-online-features}, checked for form but not yet against the catalog:
 * the request shape of Feast's feature server.
 *
 * <pre>{@code
 * {"features": ["user_activity:event_count_1h", "user_activity:revenue_1h"],
 *  "entities": {"user_id": ["user_42", "user_7"]},
 *  "full_feature_names": false}
 * }</pre>
 *
 * or {@code "feature_service": "checkout_model"} in place of {@code features}. Entity values are
 * strings or integers (an integer is looked up as its decimal text, as the job keys it), one list
 * per join key, all of one length: entity row {@code i} is the {@code i}th value of every list.
 *
 * <p>Request data for a service's on-demand features comes, as Feast takes it, in {@code
 * "request_context": {"amount": [19.99, 5]}} (one list per request field, aligned with the entity
 * rows) or as extra columns of {@code entities}; its values are checked against the service's
 * request fields when the request is resolved ({@link RequestData}). Top-level fields the gateway
 * does not know are ignored, as Feast's feature server ignores them; the known ones are checked.
 *
 * @param features the requested features in answer order, or null when a feature service is named
 * @param featureService the named feature service, or null when features are listed
 * @param entities join key to its values, in request order; values are the JSON nodes received, so
 *     the answer can echo them as sent
 * @param fullFeatureNames whether answer columns are named {@code view__feature}
 * @param rows the number of entity rows
 * @param requestContext request field to its values as received (checked for form only: a list per
 *     name), empty when the body has none
 */
public record OnlineFeaturesRequest(
    List<FeatureRef> features,
    String featureService,
    Map<String, List<JsonNode>> entities,
    boolean fullFeatureNames,
    int rows,
    Map<String, List<JsonNode>> requestContext) {

  /** A request without request context. */
  public OnlineFeaturesRequest(
      List<FeatureRef> features,
      String featureService,
      Map<String, List<JsonNode>> entities,
      boolean fullFeatureNames,
      int rows) {
    this(features, featureService, entities, fullFeatureNames, rows, Map.of());
  }

  private static final String EXAMPLE =
      "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\":"
          + " [\"user_42\"]}}";

  /**
   * Checks a parsed body.
   *
   * @throws RequestRejection naming the first field at fault
   */
  public static OnlineFeaturesRequest parse(JsonNode root, GatewayLimits limits) {
    if (root == null || !root.isObject()) {
      throw RequestRejection.badRequest(
          "body",
          JsonText.of(root),
          "the request body must be a JSON object such as "
              + EXAMPLE
              + ", got "
              + JsonText.kind(root));
    }
    JsonNode featuresNode = present(root.get("features"));
    JsonNode serviceNode = present(root.get("feature_service"));
    if (featuresNode != null && serviceNode != null) {
      throw RequestRejection.badRequest(
          "feature_service",
          JsonText.of(serviceNode),
          "give either features or feature_service, not both");
    }
    if (featuresNode == null && serviceNode == null) {
      throw RequestRejection.badRequest(
          "features",
          "",
          "features is missing: give features (a list of view:feature, e.g."
              + " [\"user_activity:event_count_1h\"]) or feature_service (a name)");
    }
    List<FeatureRef> features = null;
    String service = null;
    if (featuresNode != null) {
      features = features(featuresNode, limits);
    } else {
      service = service(serviceNode);
    }
    boolean fullNames = fullFeatureNames(present(root.get("full_feature_names")));
    Map<String, List<JsonNode>> entities = new LinkedHashMap<>();
    int rows = entities(present(root.get("entities")), limits, entities);
    Map<String, List<JsonNode>> context =
        requestContext(present(root.get("request_context")), rows);
    return new OnlineFeaturesRequest(features, service, entities, fullNames, rows, context);
  }

  /** The request context's lists, each one value per entity row. */
  private static Map<String, List<JsonNode>> requestContext(JsonNode node, int rows) {
    if (node == null) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw RequestRejection.badRequest(
          "request_context",
          JsonText.of(node),
          "request_context must map each request field to a list of values, one per entity row,"
              + " got "
              + JsonText.kind(node)
              + " (e.g. {\"amount\": [19.99]})");
    }
    Map<String, List<JsonNode>> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String field = "request_context." + JsonText.clip(e.getKey());
      JsonNode values = e.getValue();
      if (!values.isArray()) {
        throw RequestRejection.badRequest(
            field,
            JsonText.of(values),
            field
                + " must be a list of values, one per entity row, got "
                + JsonText.kind(values)
                + " (e.g. [19.99])");
      }
      if (values.size() != rows) {
        throw RequestRejection.badRequest(
            field,
            Integer.toString(values.size()),
            field
                + " has "
                + values.size()
                + " values but there are "
                + rows
                + " entity rows (give one value per entity row, null for none)");
      }
      List<JsonNode> list = new ArrayList<>(values.size());
      values.forEach(list::add);
      out.put(e.getKey(), List.copyOf(list));
    }
    return out;
  }

  private static JsonNode present(JsonNode node) {
    return node == null || node.isNull() ? null : node;
  }

  private static List<FeatureRef> features(JsonNode node, GatewayLimits limits) {
    if (!node.isArray()) {
      throw RequestRejection.badRequest(
          "features",
          JsonText.of(node),
          "features must be a list of view:feature strings, got "
              + JsonText.kind(node)
              + " (e.g. [\"user_activity:event_count_1h\"])");
    }
    if (node.isEmpty()) {
      throw RequestRejection.badRequest(
          "features",
          "[]",
          "features is empty (list at least one view:feature, or give feature_service)");
    }
    if (node.size() > limits.maxFeatures()) {
      throw RequestRejection.overLimit(
          400,
          "too_many_features",
          "features",
          node.size(),
          limits.maxFeatures(),
          "features lists "
              + node.size()
              + " features, more than the limit of "
              + limits.maxFeatures()
              + " per request (split the request, or raise the gateway's maxFeatures limit)");
    }
    List<FeatureRef> refs = new ArrayList<>(node.size());
    Map<FeatureRef, Integer> seen = new HashMap<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode item = node.get(i);
      if (!item.isTextual()) {
        String field = "features[" + i + "]";
        throw RequestRejection.badRequest(
            field,
            JsonText.of(item),
            field + " must be a string view:feature, got " + JsonText.kind(item));
      }
      FeatureRef ref;
      try {
        ref = FeatureRef.parse(item.textValue());
      } catch (IllegalArgumentException e) {
        String field = "features[" + i + "]";
        throw RequestRejection.badRequest(
            field, item.textValue(), field + ": " + JsonText.clipMessage(e.getMessage()));
      }
      Integer before = seen.putIfAbsent(ref, i);
      if (before != null) {
        String field = "features[" + i + "]";
        throw RequestRejection.badRequest(
            field,
            item.textValue(),
            field
                + " repeats "
                + JsonText.clip(ref.toString())
                + " of features["
                + before
                + "] (list each feature once)");
      }
      refs.add(ref);
    }
    return List.copyOf(refs);
  }

  private static String service(JsonNode node) {
    if (!node.isTextual() || node.textValue().isBlank()) {
      throw RequestRejection.badRequest(
          "feature_service",
          JsonText.of(node),
          "feature_service must be the name of a feature service, got " + JsonText.kind(node));
    }
    return node.textValue();
  }

  private static boolean fullFeatureNames(JsonNode node) {
    if (node == null) {
      return false;
    }
    if (!node.isBoolean()) {
      throw RequestRejection.badRequest(
          "full_feature_names",
          JsonText.of(node),
          "full_feature_names must be true or false, got " + JsonText.kind(node));
    }
    return node.booleanValue();
  }

  /** Fills {@code out} with the checked lists; returns the number of rows. */
  private static int entities(
      JsonNode node, GatewayLimits limits, Map<String, List<JsonNode>> out) {
    if (node == null) {
      throw RequestRejection.badRequest(
          "entities",
          "",
          "entities is missing (map each join key to a list of values, e.g. {\"user_id\":"
              + " [\"user_42\"]})");
    }
    if (!node.isObject()) {
      throw RequestRejection.badRequest(
          "entities",
          JsonText.of(node),
          "entities must map each join key to a list of values, got "
              + JsonText.kind(node)
              + " (e.g. {\"user_id\": [\"user_42\"]})");
    }
    if (node.isEmpty()) {
      throw RequestRejection.badRequest(
          "entities",
          "{}",
          "entities is empty (map each join key to a list of values, e.g. {\"user_id\":"
              + " [\"user_42\"]})");
    }
    String firstKey = null;
    int rows = -1;
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      String field = "entities." + key;
      JsonNode values = e.getValue();
      if (!values.isArray()) {
        throw RequestRejection.badRequest(
            field,
            JsonText.of(values),
            JsonText.clip(field)
                + " must be a list of values, got "
                + JsonText.kind(values)
                + " (e.g. [\"user_42\"])");
      }
      if (values.isEmpty()) {
        throw RequestRejection.badRequest(
            field, "[]", JsonText.clip(field) + " is empty (give at least one value)");
      }
      if (values.size() > limits.maxEntities()) {
        throw RequestRejection.overLimit(
            400,
            "too_many_entities",
            field,
            values.size(),
            limits.maxEntities(),
            JsonText.clip(field)
                + " holds "
                + values.size()
                + " values, more than the limit of "
                + limits.maxEntities()
                + " entities per request (split the request, or raise the gateway's maxEntities"
                + " limit)");
      }
      if (rows >= 0 && values.size() != rows) {
        throw RequestRejection.badRequest(
            field,
            Integer.toString(values.size()),
            JsonText.clip(field)
                + " has "
                + values.size()
                + " values but entities."
                + JsonText.clip(firstKey)
                + " has "
                + rows
                + " (every join key needs one value per entity row)");
      }
      // Values are checked when the request is resolved: a column may be request data (numbers,
      // nulls) rather than a join key.
      List<JsonNode> list = new ArrayList<>(values.size());
      values.forEach(list::add);
      out.put(key, List.copyOf(list));
      if (rows < 0) {
        rows = values.size();
        firstKey = key;
      }
    }
    return rows;
  }

  /** Checks value {@code i} of {@code list}; the field an error names is {@code list[i]}. */
  static JsonNode checkEntityValue(String list, int i, JsonNode v) {
    if (v.isTextual()) {
      String s = v.textValue();
      if (s.isEmpty()) {
        String field = list + "[" + i + "]";
        throw RequestRejection.badRequest(
            field,
            "\"\"",
            JsonText.clip(field) + " is an empty string (entity keys are never empty)");
      }
      int bad = JsonText.loneSurrogateAt(s);
      if (bad >= 0) {
        String field = list + "[" + i + "]";
        throw RequestRejection.badRequest(
            field,
            JsonText.of(v),
            JsonText.clip(field)
                + " holds a lone UTF-16 surrogate at index "
                + bad
                + ", which is not text (send valid Unicode)");
      }
      return v;
    }
    if (v.isIntegralNumber()) {
      return v;
    }
    String field = list + "[" + i + "]";
    throw RequestRejection.badRequest(
        field,
        JsonText.of(v),
        JsonText.clip(field) + " must be a string or an integer, got " + JsonText.kind(v));
  }

  /** The text an entity value is looked up by: a string as is, an integer in decimal. */
  public static String entityText(JsonNode value) {
    return value.isTextual() ? value.textValue() : value.asText();
  }
}
