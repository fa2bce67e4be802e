package io.freshet.dsl.json;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.dsl.Aggregation;
import io.freshet.dsl.AggregationKind;
import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Expression;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.Filter;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON form of definitions, format 1: what the registry stores, so that the gateway and the
 * training-set builder know every view without the user's jar. It round-trips exactly: {@code
 * viewFromJson(toJson(v)).equals(v)}, and the text itself is stable: {@code
 * toJson(viewFromJson(toJson(v)))} is byte-identical to {@code toJson(v)}.
 *
 * <p>The example view {@code user_activity}, shortened:
 *
 * <pre>{@code
 * {
 *   "format": 1,
 *   "kind": "feature_view",
 *   "name": "user_activity",
 *   "source": {
 *     "type": "kafka_json",
 *     "topic": "user-events",
 *     "key_fields": ["user_id"],
 *     "event_time_field": "event_ts",
 *     "max_out_of_orderness": "PT10M",
 *     "allowed_lateness": "PT0S",
 *     "idle_timeout": "PT30S"
 *   },
 *   "features": [
 *     {
 *       "name": "revenue_1h",
 *       "aggregation": {"op": "sum", "field": "revenue"},
 *       "filter": {"op": "equals", "field": "event_type", "value": "purchase"},
 *       "window": {"size": "PT1H", "slide": "PT15M"}
 *     }
 *   ],
 *   "derived": [
 *     {
 *       "name": "avg_revenue_per_purchase_1h",
 *       "expression": {
 *         "op": "divide",
 *         "left": {"ref": "revenue_1h"},
 *         "right": {"ref": "purchase_count_1h"},
 *         "when_zero": 0.0
 *       }
 *     }
 *   ],
 *   "ttl": "PT2H",
 *   "availability_delay": "PT10M"
 * }
 * }</pre>
 *
 * <p>The rules of format 1:
 *
 * <ul>
 *   <li>{@code "format": 1} and {@code "kind"} ({@code "feature_view"} or {@code
 *       "feature_service"}) come first and are required. A reader rejects a format it does not know
 *       rather than guess.
 *   <li>Durations are ISO-8601 strings as {@link Duration#toString()} writes them ({@code "PT15M"},
 *       {@code "PT168H"} for 7 days, {@code "PT0.25S"}); a reader also takes other ISO-8601 forms
 *       such as {@code "P7D"}.
 *   <li>Aggregations are objects with an {@code "op"}: {@code count} (no field); {@code sum},
 *       {@code min}, {@code max}, {@code avg}, {@code first}, {@code last}, {@code count_distinct}
 *       (each with {@code "field"}); {@code approx_count_distinct} ({@code "field"}, {@code
 *       "lg_k"}); {@code approx_percentile} ({@code "field"}, {@code "quantile"}, {@code "k"});
 *       {@code last_k} ({@code "field"}, {@code "k"}). The writer always writes {@code lg_k} and
 *       {@code k}; a reader that finds them absent takes the DSL's defaults (12 and 200).
 *   <li>{@code "filter"} is absent when every event takes part; otherwise {@code {"op": "equals",
 *       "field": ..., "value": ...}}.
 *   <li>Expressions are nested objects: {@code {"ref": "feature"}}, {@code {"constant": 2.0}}, or
 *       {@code {"op": "add" | "subtract" | "multiply" | "divide", "left": ..., "right": ...,
 *       "when_zero": ...}}. {@code when_zero}, the value of a division by 0, is required for {@code
 *       divide}; other operators ignore it, and it is written for them only when it is not 0.
 *   <li>{@code "derived"} is always written; a reader takes its absence as no derived features.
 *   <li>Numbers are written as Java prints them, so every double survives the trip ({@code -0.0}
 *       included). Keys are written in the fixed order shown. An object or array that holds only
 *       strings and numbers is written on one line; others hold one entry per line, indented by two
 *       spaces. The text ends with a newline.
 *   <li>Unknown fields are errors, so that a misspelt {@code "filtr"} cannot silently widen a
 *       feature. Duplicate keys and text after the definition are errors too.
 * </ul>
 *
 * <p>A feature service lists its features as {@code view:feature} strings:
 *
 * <pre>{@code
 * {
 *   "format": 1,
 *   "kind": "feature_service",
 *   "name": "conversion_model",
 *   "features": ["user_activity:event_count_1h", "user_activity:conversion_rate_1h"]
 * }
 * }</pre>
 *
 * <p>Errors are {@link DefinitionException}s naming the JSON path and the problem, e.g. {@code
 * features[2].aggregation.op: unknown aggregation 'summ' (known: count, sum, ...)}; a rule of the
 * DSL that the definition breaks comes with the path of the object that breaks it.
 *
 * <p>Thread-safe: the methods are static and share only immutable configuration.
 */
public final class DefinitionJson {
  /** The format this class writes and the only one it reads. */
  public static final int FORMAT = 1;

  static final String KIND_VIEW = "feature_view";
  static final String KIND_SERVICE = "feature_service";
  static final String SOURCE_KAFKA_JSON = "kafka_json";

  private static final JsonMapper MAPPER =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private DefinitionJson() {}

  /** The JSON text of a view in format 1, ending with a newline. */
  public static String toJson(FeatureView view) {
    return print(write(view), "view " + view.name());
  }

  /**
   * Reads a view from its JSON text.
   *
   * @throws DefinitionException if the text is not JSON, not format 1, or not a valid view; the
   *     message names the JSON path and the problem
   */
  public static FeatureView viewFromJson(String json) {
    return readView(JsonCursor.root(parse(json), "a feature view"));
  }

  /** The JSON text of a feature service in format 1, ending with a newline. */
  public static String toJson(FeatureService service) {
    return print(write(service), "service " + service.name());
  }

  /**
   * Reads a feature service from its JSON text.
   *
   * @throws DefinitionException if the text is not JSON, not format 1, or not a valid service; the
   *     message names the JSON path and the problem
   */
  public static FeatureService serviceFromJson(String json) {
    return readService(JsonCursor.root(parse(json), "a feature service"));
  }

  // ---- writing: one method per definition type, keys in schema order

  private static ObjectNode write(FeatureView v) {
    ObjectNode n = NODES.objectNode();
    n.put("format", FORMAT);
    n.put("kind", KIND_VIEW);
    n.put("name", v.name());
    n.set("source", write(v.source()));
    ArrayNode features = n.putArray("features");
    for (Feature f : v.features()) {
      features.add(write(f));
    }
    ArrayNode derived = n.putArray("derived");
    for (DerivedFeature d : v.derived()) {
      ObjectNode dn = derived.addObject();
      dn.put("name", d.name());
      dn.set("expression", write(d.expression()));
    }
    n.put("ttl", v.ttl().toString());
    n.put("availability_delay", v.availabilityDelay().toString());
    return n;
  }

  private static ObjectNode write(FeatureService service) {
    ObjectNode n = NODES.objectNode();
    n.put("format", FORMAT);
    n.put("kind", KIND_SERVICE);
    n.put("name", service.name());
    ArrayNode features = n.putArray("features");
    for (FeatureService.FeatureRef r : service.features()) {
      features.add(r.view() + ":" + r.feature());
    }
    return n;
  }

  private static ObjectNode write(KafkaJsonSource s) {
    ObjectNode n = NODES.objectNode();
    n.put("type", SOURCE_KAFKA_JSON);
    n.put("topic", s.topic());
    ArrayNode keys = n.putArray("key_fields");
    s.keyFields().forEach(keys::add);
    n.put("event_time_field", s.eventTimeField());
    n.put("max_out_of_orderness", s.maxOutOfOrderness().toString());
    n.put("allowed_lateness", s.allowedLateness().toString());
    n.put("idle_timeout", s.idleTimeout().toString());
    return n;
  }

  private static ObjectNode write(Feature f) {
    ObjectNode n = NODES.objectNode();
    n.put("name", f.name());
    n.set("aggregation", write(f.aggregation()));
    if (f.filter() != null) {
      n.set("filter", write(f.filter()));
    }
    ObjectNode w = n.putObject("window");
    w.put("size", f.window().size().toString());
    w.put("slide", f.window().slide().toString());
    return n;
  }

  private static ObjectNode write(Aggregation a) {
    ObjectNode n = NODES.objectNode();
    n.put("op", a.kind().jsonName());
    switch (a.kind()) {
      case COUNT -> {}
      case APPROX_COUNT_DISTINCT -> {
        n.put("field", a.inputField());
        n.put("lg_k", ((Aggregation.ApproxCountDistinct) a).lgK());
      }
      case APPROX_PERCENTILE -> {
        Aggregation.ApproxPercentile p = (Aggregation.ApproxPercentile) a;
        n.put("field", p.field());
        n.put("quantile", p.quantile());
        n.put("k", p.k());
      }
      case LAST_K -> {
        n.put("field", a.inputField());
        n.put("k", ((Aggregation.LastK) a).k());
      }
      case SUM, MIN, MAX, AVG, FIRST, LAST, COUNT_DISTINCT -> n.put("field", a.inputField());
    }
    return n;
  }

  private static ObjectNode write(Filter filter) {
    ObjectNode n = NODES.objectNode();
    if (filter instanceof Filter.FieldEquals eq) {
      n.put("op", "equals");
      n.put("field", eq.field());
      n.put("value", eq.value());
      return n;
    }
    throw new IllegalStateException(
        "format " + FORMAT + " has no JSON form for filter " + filter.describe());
  }

  private static ObjectNode write(Expression e) {
    ObjectNode n = NODES.objectNode();
    if (e instanceof Expression.Ref r) {
      n.put("ref", r.feature());
    } else if (e instanceof Expression.Constant c) {
      n.put("constant", c.value());
    } else if (e instanceof Expression.Binary b) {
      n.put("op", b.op().name().toLowerCase(Locale.ROOT));
      n.set("left", write(b.left()));
      n.set("right", write(b.right()));
      if (b.op() == Expression.Op.DIVIDE || Double.doubleToRawLongBits(b.whenZero()) != 0L) {
        n.put("when_zero", b.whenZero());
      }
    } else {
      throw new IllegalStateException(
          "format " + FORMAT + " has no JSON form for expression " + e.describe());
    }
    return n;
  }

  // ---- reading: the mirror image, each value checked with its path

  private static JsonNode parse(String json) {
    if (json == null) {
      throw new DefinitionException("no JSON text to read (got null)");
    }
    try (JsonParser parser = MAPPER.createParser(json)) {
      JsonNode root = MAPPER.readTree(parser);
      if (root == null || root.isMissingNode()) {
        throw new DefinitionException("no JSON text to read (the text is empty)");
      }
      if (parser.nextToken() != null) {
        throw new DefinitionException(
            "malformed JSON"
                + at(parser.currentTokenLocation())
                + ": text after the end of the definition (one definition per document)");
      }
      return root;
    } catch (JsonProcessingException e) {
      DefinitionException d =
          new DefinitionException(
              "malformed JSON" + at(e.getLocation()) + ": " + e.getOriginalMessage());
      d.initCause(e);
      throw d;
    } catch (IOException e) {
      throw new UncheckedIOException("could not read JSON from a string", e);
    }
  }

  private static String at(JsonLocation location) {
    return location == null
        ? ""
        : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static FeatureView readView(JsonCursor c) {
    checkHeader(c, KIND_VIEW);
    c.allowOnly(
        "format", "kind", "name", "source", "features", "derived", "ttl", "availability_delay");
    String name = c.string("name");
    KafkaJsonSource source = readSource(c.object("source"));
    List<Feature> features = new ArrayList<>();
    for (JsonCursor f : c.objects("features", true)) {
      features.add(readFeature(f));
    }
    List<DerivedFeature> derived = new ArrayList<>();
    for (JsonCursor d : c.objects("derived", false)) {
      d.allowOnly("name", "expression");
      String derivedName = d.string("name");
      Expression expression = readExpression(d.object("expression"));
      derived.add(d.build(() -> new DerivedFeature(derivedName, expression)));
    }
    Duration ttl = c.duration("ttl");
    Duration delay = c.duration("availability_delay");
    return c.build(() -> new FeatureView(name, source, features, derived, ttl, delay));
  }

  private static FeatureService readService(JsonCursor c) {
    checkHeader(c, KIND_SERVICE);
    c.allowOnly("format", "kind", "name", "features");
    String name = c.string("name");
    List<String> texts = c.strings("features");
    List<FeatureService.FeatureRef> refs = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      refs.add(c.build("features[" + i + "]", () -> FeatureService.FeatureRef.parse(text)));
    }
    return c.build(() -> new FeatureService(name, refs));
  }

  /** The {@code format} and {@code kind} every document starts with. */
  private static void checkHeader(JsonCursor c, String expectedKind) {
    if (!c.has("format")) {
      throw c.error("format", "missing (expected " + FORMAT + ")");
    }
    int format = c.integer("format", FORMAT);
    if (format != FORMAT) {
      throw c.error(
          "format",
          "unsupported format "
              + format
              + " (this version of Freshet reads format "
              + FORMAT
              + "; upgrade Freshet to read it)");
    }
    String kind = c.string("kind");
    if (!kind.equals(expectedKind)) {
      throw c.error("kind", "expected '" + expectedKind + "', got '" + kind + "'");
    }
  }

  private static KafkaJsonSource readSource(JsonCursor c) {
    String type = c.string("type");
    if (!type.equals(SOURCE_KAFKA_JSON)) {
      throw c.error(
          "type", "unknown source type '" + type + "' (known: " + SOURCE_KAFKA_JSON + ")");
    }
    c.allowOnly(
        "type",
        "topic",
        "key_fields",
        "event_time_field",
        "max_out_of_orderness",
        "allowed_lateness",
        "idle_timeout");
    String topic = c.string("topic");
    List<String> keys = c.strings("key_fields");
    String eventTime = c.string("event_time_field");
    Duration outOfOrderness = c.duration("max_out_of_orderness");
    Duration lateness = c.duration("allowed_lateness");
    Duration idle = c.duration("idle_timeout");
    return c.build(
        () -> new KafkaJsonSource(topic, keys, eventTime, outOfOrderness, lateness, idle));
  }

  private static Feature readFeature(JsonCursor c) {
    c.allowOnly("name", "aggregation", "filter", "window");
    String name = c.string("name");
    Aggregation aggregation = readAggregation(c.object("aggregation"));
    Filter filter = c.has("filter") ? readFilter(c.object("filter")) : null;
    JsonCursor w = c.object("window");
    w.allowOnly("size", "slide");
    Duration size = w.duration("size");
    Duration slide = w.duration("slide");
    SlidingWindow window = w.build(() -> new SlidingWindow(size, slide));
    return c.build(() -> new Feature(name, aggregation, filter, window));
  }

  private static Aggregation readAggregation(JsonCursor c) {
    String op = c.string("op");
    AggregationKind kind = AggregationKind.ofJsonName(op);
    if (kind == null) {
      throw c.error(
          "op",
          "unknown aggregation '"
              + op
              + "' (known: "
              + String.join(", ", AggregationKind.jsonNames())
              + ")");
    }
    return switch (kind) {
      case COUNT -> {
        c.allowOnly("op");
        yield c.build(Aggregation.Count::new);
      }
      case APPROX_COUNT_DISTINCT -> {
        c.allowOnly("op", "field", "lg_k");
        String field = c.string("field");
        int lgK = c.integer("lg_k", Aggregation.ApproxCountDistinct.DEFAULT_LG_K);
        yield c.build(() -> new Aggregation.ApproxCountDistinct(field, lgK));
      }
      case APPROX_PERCENTILE -> {
        c.allowOnly("op", "field", "quantile", "k");
        String field = c.string("field");
        double quantile = c.number("quantile");
        int k = c.integer("k", Aggregation.ApproxPercentile.DEFAULT_K);
        yield c.build(() -> new Aggregation.ApproxPercentile(field, quantile, k));
      }
      case LAST_K -> {
        c.allowOnly("op", "field", "k");
        String field = c.string("field");
        if (!c.has("k")) {
          throw c.error("k", "missing (expected an integer: how many latest values to keep)");
        }
        int k = c.integer("k", 0);
        yield c.build(() -> new Aggregation.LastK(field, k));
      }
      case SUM, MIN, MAX, AVG, FIRST, LAST, COUNT_DISTINCT -> {
        c.allowOnly("op", "field");
        String field = c.string("field");
        yield c.build(() -> fieldAggregation(kind, field));
      }
    };
  }

  private static Aggregation fieldAggregation(AggregationKind kind, String field) {
    return switch (kind) {
      case SUM -> new Aggregation.Sum(field);
      case MIN -> new Aggregation.Min(field);
      case MAX -> new Aggregation.Max(field);
      case AVG -> new Aggregation.Avg(field);
      case FIRST -> new Aggregation.First(field);
      case LAST -> new Aggregation.Last(field);
      case COUNT_DISTINCT -> new Aggregation.CountDistinct(field);
      case COUNT, APPROX_COUNT_DISTINCT, APPROX_PERCENTILE, LAST_K ->
          throw new IllegalArgumentException("not a single-field aggregation: " + kind.jsonName());
    };
  }

  private static Filter readFilter(JsonCursor c) {
    String op = c.string("op");
    if (!op.equals("equals")) {
      throw c.error("op", "unknown filter '" + op + "' (known: equals)");
    }
    c.allowOnly("op", "field", "value");
    String field = c.string("field");
    String value = c.string("value");
    return c.build(() -> new Filter.FieldEquals(field, value));
  }

  private static Expression readExpression(JsonCursor c) {
    boolean ref = c.has("ref");
    boolean constant = c.has("constant");
    boolean op = c.has("op");
    if ((ref ? 1 : 0) + (constant ? 1 : 0) + (op ? 1 : 0) != 1) {
      throw c.error(
          "expected exactly one of {\"ref\": ...}, {\"constant\": ...} or {\"op\": ..., \"left\":"
              + " ..., \"right\": ...}, got "
              + c.shown());
    }
    if (ref) {
      c.allowOnly("ref");
      String feature = c.string("ref");
      return c.build(() -> new Expression.Ref(feature));
    }
    if (constant) {
      c.allowOnly("constant");
      double value = c.number("constant");
      return c.build(() -> new Expression.Constant(value));
    }
    String opName = c.string("op");
    Expression.Op operator = operator(opName);
    if (operator == null) {
      throw c.error(
          "op", "unknown operator '" + opName + "' (known: add, subtract, multiply, divide)");
    }
    c.allowOnly("op", "left", "right", "when_zero");
    Expression left = readExpression(c.object("left"));
    Expression right = readExpression(c.object("right"));
    if (operator == Expression.Op.DIVIDE && !c.has("when_zero")) {
      throw c.error(
          "when_zero",
          "missing (a division names the value it takes when the divisor is 0, e.g. 0.0)");
    }
    double whenZero = c.number("when_zero", 0.0);
    return c.build(() -> new Expression.Binary(operator, left, right, whenZero));
  }

  private static Expression.Op operator(String name) {
    for (Expression.Op o : Expression.Op.values()) {
      if (o.name().toLowerCase(Locale.ROOT).equals(name)) {
        return o;
      }
    }
    return null;
  }

  // ---- layout: containers of scalars on one line, others one entry per line

  private static String print(ObjectNode root, String what) {
    try {
      StringBuilder out = new StringBuilder();
      print(root, "", out);
      return out.append('\n').toString();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("could not write the JSON form of " + what, e);
    }
  }

  private static void print(JsonNode n, String indent, StringBuilder out)
      throws JsonProcessingException {
    if (n.isValueNode()) {
      out.append(MAPPER.writeValueAsString(n));
      return;
    }
    boolean flat = isFlat(n);
    String inner = indent + "  ";
    out.append(n.isObject() ? '{' : '[');
    List<String> keys = new ArrayList<>();
    List<JsonNode> values = new ArrayList<>();
    if (n.isObject()) {
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        keys.add(MAPPER.writeValueAsString(e.getKey()) + ": ");
        values.add(e.getValue());
      }
    } else {
      for (JsonNode e : n) {
        keys.add("");
        values.add(e);
      }
    }
    for (int i = 0; i < values.size(); i++) {
      out.append(i == 0 ? "" : ",").append(flat ? (i == 0 ? "" : " ") : "\n" + inner);
      out.append(keys.get(i));
      print(values.get(i), inner, out);
    }
    if (!flat) {
      out.append('\n').append(indent);
    }
    out.append(n.isObject() ? '}' : ']');
  }

  private static boolean isFlat(JsonNode n) {
    for (JsonNode child : n) {
      if (child.isContainerNode()) {
        return false;
      }
    }
    return true;
  }
}
