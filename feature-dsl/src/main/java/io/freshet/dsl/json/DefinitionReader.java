package io.freshet.dsl.json;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.dsl.Aggregation;
import io.freshet.dsl.AggregationKind;
import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Expression;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.Filter;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.OnDemandExpression;
import io.freshet.dsl.PostgresTableSource;
import io.freshet.dsl.Serving;
import io.freshet.dsl.SlidingWindow;
import io.freshet.dsl.ViewSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads definitions from the JSON form of {@link DefinitionJson}, each value checked with its path.
 */
final class DefinitionReader {
  private DefinitionReader() {}

  static JsonNode parse(String json) {
    if (json == null) {
      throw new DefinitionException("no JSON text to read (got null)");
    }
    try (JsonParser parser = DefinitionJson.MAPPER.createParser(json)) {
      JsonNode root = DefinitionJson.MAPPER.readTree(parser);
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

  static FeatureView readView(JsonCursor c) {
    checkHeader(c, DefinitionJson.KIND_VIEW);
    c.allowOnly(
        "format",
        "kind",
        "name",
        "source",
        "features",
        "derived",
        "ttl",
        "availability_delay",
        "serving");
    String name = c.string("name");
    ViewSource source = readSource(c.object("source"));
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
    // "none": the view never expires (FeatureView.NO_TTL).
    Duration ttl = c.isText("ttl", "none") ? FeatureView.NO_TTL : c.duration("ttl");
    Duration delay = c.duration("availability_delay");
    Serving serving = c.has("serving") ? readServing(c.object("serving")) : Serving.windowEnds();
    return c.build(() -> new FeatureView(name, source, features, derived, ttl, delay, serving));
  }

  /** {@code {"mode": "request_time", "tile": "PT1M"}}; the tile is optional. */
  static Serving readServing(JsonCursor c) {
    c.allowOnly("mode", "tile");
    String mode = c.string("mode");
    Duration tile = c.has("tile") ? c.duration("tile") : null;
    return c.build(
        () ->
            switch (mode) {
              case "window_ends" -> new Serving(Serving.Mode.WINDOW_ENDS, tile);
              case "request_time" -> new Serving(Serving.Mode.REQUEST_TIME, tile);
              default ->
                  throw new DefinitionException(
                      "serving mode '" + mode + "' is not one of window_ends, request_time");
            });
  }

  static FeatureService readService(JsonCursor c) {
    checkHeader(c, DefinitionJson.KIND_SERVICE);
    c.allowOnly("format", "kind", "name", "features", "request_fields", "on_demand");
    String name = c.string("name");
    List<String> texts = c.strings("features");
    List<FeatureService.FeatureRef> refs = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      refs.add(c.build("features[" + i + "]", () -> FeatureService.FeatureRef.parse(text)));
    }
    List<FeatureService.RequestFieldSpec> fields = new ArrayList<>();
    for (JsonCursor f : c.objects("request_fields", false)) {
      f.allowOnly("name", "type");
      String fieldName = f.string("name");
      String typeName = f.string("type");
      FeatureType type = featureType(typeName);
      if (type == null) {
        throw f.error("type", "unknown type '" + typeName + "' (known: INT64, FLOAT64, STRING)");
      }
      fields.add(f.build(() -> new FeatureService.RequestFieldSpec(fieldName, type)));
    }
    List<FeatureService.OnDemandFeature> onDemand = new ArrayList<>();
    for (JsonCursor f : c.objects("on_demand", false)) {
      f.allowOnly("name", "expression");
      String featureName = f.string("name");
      OnDemandExpression expression = readOnDemand(f.object("expression"));
      onDemand.add(f.build(() -> new FeatureService.OnDemandFeature(featureName, expression)));
    }
    return c.build(() -> new FeatureService(name, refs, fields, onDemand));
  }

  private static FeatureType featureType(String name) {
    for (FeatureType t : FeatureType.values()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }

  /**
   * An on-demand expression: {@code {"feature": "view:feature"}}, {@code {"field": "amount"}},
   * {@code {"number": 1.5}}, {@code {"text": "web"}}, {@code {"op": "divide", "left": ..., "right":
   * ..., "when_zero": 0.0}}, {@code {"compare": "<", "left": ..., "right": ...}} or {@code {"call":
   * "min", "args": [...]}}.
   */
  private static OnDemandExpression readOnDemand(JsonCursor c) {
    List<String> kinds = List.of("feature", "field", "number", "text", "op", "compare", "call");
    String kind = null;
    int count = 0;
    for (String k : kinds) {
      if (c.has(k)) {
        kind = k;
        count++;
      }
    }
    if (count != 1) {
      throw c.error(
          "expected exactly one of feature, field, number, text, op, compare or call, got "
              + c.shown());
    }
    switch (kind) {
      case "feature":
        {
          c.allowOnly("feature");
          String ref = c.string("feature");
          return c.build(() -> OnDemandExpression.feature(ref));
        }
      case "field":
        {
          c.allowOnly("field");
          String field = c.string("field");
          return c.build(() -> OnDemandExpression.field(field));
        }
      case "number":
        {
          c.allowOnly("number");
          double value = c.number("number");
          return c.build(() -> OnDemandExpression.number(value));
        }
      case "text":
        {
          c.allowOnly("text");
          String value = c.string("text");
          return c.build(() -> OnDemandExpression.text(value));
        }
      case "op":
        {
          String opName = c.string("op");
          Expression.Op operator = operator(opName);
          if (operator == null) {
            throw c.error(
                "op", "unknown operator '" + opName + "' (known: add, subtract, multiply, divide)");
          }
          c.allowOnly("op", "left", "right", "when_zero");
          OnDemandExpression left = readOnDemand(c.object("left"));
          OnDemandExpression right = readOnDemand(c.object("right"));
          if (operator == Expression.Op.DIVIDE && !c.has("when_zero")) {
            throw c.error(
                "when_zero",
                "missing (a division names the value it takes when the divisor is 0, e.g. 0.0)");
          }
          double whenZero = c.number("when_zero", 0.0);
          return c.build(() -> new OnDemandExpression.Arithmetic(operator, left, right, whenZero));
        }
      case "compare":
        {
          c.allowOnly("compare", "left", "right");
          String symbol = c.string("compare");
          OnDemandExpression.Comparator comparator = OnDemandExpression.Comparator.ofSymbol(symbol);
          if (comparator == null) {
            throw c.error(
                "compare", "unknown comparison '" + symbol + "' (known: <, <=, >, >=, ==, !=)");
          }
          OnDemandExpression left = readOnDemand(c.object("left"));
          OnDemandExpression right = readOnDemand(c.object("right"));
          return c.build(() -> new OnDemandExpression.Comparison(comparator, left, right));
        }
      default:
        {
          c.allowOnly("call", "args");
          String text = c.string("call");
          OnDemandExpression.Function function = OnDemandExpression.Function.ofText(text);
          if (function == null) {
            throw c.error(
                "call",
                "unknown function '"
                    + text
                    + "' (known: min, max, abs, log, coalesce, seconds_since)");
          }
          List<OnDemandExpression> args = new ArrayList<>();
          for (JsonCursor a : c.objects("args", true)) {
            args.add(readOnDemand(a));
          }
          return c.build(() -> new OnDemandExpression.Call(function, args));
        }
    }
  }

  /** The {@code format} and {@code kind} every document starts with. */
  private static void checkHeader(JsonCursor c, String expectedKind) {
    if (!c.has("format")) {
      throw c.error("format", "missing (expected " + DefinitionJson.FORMAT + ")");
    }
    int format = c.integer("format", DefinitionJson.FORMAT);
    if (format != DefinitionJson.FORMAT) {
      throw c.error(
          "format",
          "unsupported format "
              + format
              + " (this version of Freshet reads format "
              + DefinitionJson.FORMAT
              + "; upgrade Freshet to read it)");
    }
    String kind = c.string("kind");
    if (!kind.equals(expectedKind)) {
      throw c.error("kind", "expected '" + expectedKind + "', got '" + kind + "'");
    }
  }

  private static ViewSource readSource(JsonCursor c) {
    String type = c.string("type");
    if (type.equals(DefinitionJson.SOURCE_POSTGRES_TABLE)) {
      c.allowOnly("type", "table", "query", "key_columns", "timestamp_column");
      String table = c.has("table") ? c.string("table") : null;
      String query = c.has("query") ? c.string("query") : null;
      List<String> keys = c.strings("key_columns");
      String ts = c.string("timestamp_column");
      return c.build(() -> new PostgresTableSource(table, query, keys, ts));
    }
    if (!type.equals(DefinitionJson.SOURCE_KAFKA_JSON)) {
      throw c.error(
          "type",
          "unknown source type '"
              + type
              + "' (known: "
              + DefinitionJson.SOURCE_KAFKA_JSON
              + ", "
              + DefinitionJson.SOURCE_POSTGRES_TABLE
              + ")");
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
    if (c.has("column")) {
      c.allowOnly("name", "column");
      String name = c.string("name");
      JsonCursor col = c.object("column");
      col.allowOnly("name", "type");
      String column = col.string("name");
      String typeName = col.string("type");
      FeatureType type;
      try {
        type = FeatureType.valueOf(typeName);
      } catch (IllegalArgumentException e) {
        throw col.error(
            "type",
            "unknown type '"
                + typeName
                + "' (known: "
                + java.util.Arrays.toString(FeatureType.values())
                + ")");
      }
      return c.build(
          () -> new Feature(name, null, null, null, new Feature.TableColumn(column, type)));
    }
    c.allowOnly("name", "aggregation", "filter", "window");
    String name = c.string("name");
    Aggregation aggregation = readAggregation(c.object("aggregation"));
    Filter filter = c.has("filter") ? readFilter(c.object("filter")) : null;
    JsonCursor w = c.object("window");
    w.allowOnly("size", "slide");
    // "lifetime": every event since the entity was first seen.
    Duration size = w.isText("size", "lifetime") ? null : w.duration("size");
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
      case LAST_EVENT_TIME -> {
        c.allowOnly("op");
        yield c.build(Aggregation.LastEventTime::new);
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
      case COUNT, APPROX_COUNT_DISTINCT, APPROX_PERCENTILE, LAST_K, LAST_EVENT_TIME ->
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
}
