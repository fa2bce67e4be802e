package io.freshet.dsl.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.freshet.dsl.Aggregation;
import io.freshet.dsl.DerivedFeature;
import io.freshet.dsl.Expression;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.Filter;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.OnDemandExpression;
import io.freshet.dsl.PostgresTableSource;
import io.freshet.dsl.ViewSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes definitions in the JSON form of {@link DefinitionJson}: keys in schema order, laid out.
 */
final class DefinitionWriter {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private DefinitionWriter() {}

  static ObjectNode write(FeatureView v) {
    ObjectNode n = NODES.objectNode();
    n.put("format", DefinitionJson.FORMAT);
    n.put("kind", DefinitionJson.KIND_VIEW);
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
    n.put("ttl", v.expires() ? v.ttl().toString() : "none");
    n.put("availability_delay", v.availabilityDelay().toString());
    if (v.serving().requestTimeMode()) {
      // Written only for request time, so a window-end view's JSON is what it always was.
      ObjectNode serving = n.putObject("serving");
      serving.put("mode", "request_time");
      if (v.serving().tile() != null) {
        serving.put("tile", v.serving().tile().toString());
      }
    }
    return n;
  }

  static ObjectNode write(FeatureService service) {
    ObjectNode n = NODES.objectNode();
    n.put("format", DefinitionJson.FORMAT);
    n.put("kind", DefinitionJson.KIND_SERVICE);
    n.put("name", service.name());
    ArrayNode features = n.putArray("features");
    for (FeatureService.FeatureRef r : service.features()) {
      features.add(r.view() + ":" + r.feature());
    }
    // Written only when declared, so a service of stored features keeps the JSON it always had.
    if (!service.requestFields().isEmpty()) {
      ArrayNode fields = n.putArray("request_fields");
      for (FeatureService.RequestFieldSpec f : service.requestFields()) {
        ObjectNode fn = fields.addObject();
        fn.put("name", f.name());
        fn.put("type", f.type().name());
      }
    }
    if (!service.onDemand().isEmpty()) {
      ArrayNode onDemand = n.putArray("on_demand");
      for (FeatureService.OnDemandFeature f : service.onDemand()) {
        ObjectNode fn = onDemand.addObject();
        fn.put("name", f.name());
        fn.set("expression", write(f.expression()));
      }
    }
    return n;
  }

  private static ObjectNode write(OnDemandExpression e) {
    ObjectNode n = NODES.objectNode();
    if (e instanceof OnDemandExpression.StoredFeature f) {
      n.put("feature", f.ref().toString());
    } else if (e instanceof OnDemandExpression.RequestField f) {
      n.put("field", f.name());
    } else if (e instanceof OnDemandExpression.NumberLiteral c) {
      n.put("number", c.value());
    } else if (e instanceof OnDemandExpression.TextLiteral t) {
      n.put("text", t.value());
    } else if (e instanceof OnDemandExpression.Arithmetic a) {
      n.put("op", a.op().name().toLowerCase(Locale.ROOT));
      n.set("left", write(a.left()));
      n.set("right", write(a.right()));
      if (a.op() == Expression.Op.DIVIDE) {
        n.put("when_zero", a.whenZero());
      }
    } else if (e instanceof OnDemandExpression.Comparison c) {
      n.put("compare", c.comparator().symbol());
      n.set("left", write(c.left()));
      n.set("right", write(c.right()));
    } else if (e instanceof OnDemandExpression.Call c) {
      n.put("call", c.function().text());
      ArrayNode args = n.putArray("args");
      for (OnDemandExpression a : c.args()) {
        args.add(write(a));
      }
    }
    return n;
  }

  private static ObjectNode write(ViewSource s) {
    if (s instanceof PostgresTableSource t) {
      return write(t);
    }
    return write((KafkaJsonSource) s);
  }

  private static ObjectNode write(PostgresTableSource s) {
    ObjectNode n = NODES.objectNode();
    n.put("type", DefinitionJson.SOURCE_POSTGRES_TABLE);
    if (s.table() != null) {
      n.put("table", s.table());
    } else {
      n.put("query", s.query());
    }
    ArrayNode keys = n.putArray("key_columns");
    s.keyColumns().forEach(keys::add);
    n.put("timestamp_column", s.timestampColumn());
    return n;
  }

  private static ObjectNode write(KafkaJsonSource s) {
    ObjectNode n = NODES.objectNode();
    n.put("type", DefinitionJson.SOURCE_KAFKA_JSON);
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
    if (f.isColumn()) {
      ObjectNode c = n.putObject("column");
      c.put("name", f.column().column());
      c.put("type", f.column().type().name());
      return n;
    }
    n.set("aggregation", write(f.aggregation()));
    if (f.filter() != null) {
      n.set("filter", write(f.filter()));
    }
    ObjectNode w = n.putObject("window");
    w.put("size", f.window().isLifetime() ? "lifetime" : f.window().size().toString());
    w.put("slide", f.window().slide().toString());
    return n;
  }

  private static ObjectNode write(Aggregation a) {
    ObjectNode n = NODES.objectNode();
    n.put("op", a.kind().jsonName());
    switch (a.kind()) {
      case COUNT, LAST_EVENT_TIME -> {}
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
        "format " + DefinitionJson.FORMAT + " has no JSON form for filter " + filter.describe());
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
          "format " + DefinitionJson.FORMAT + " has no JSON form for expression " + e.describe());
    }
    return n;
  }

  // ---- layout: containers of scalars on one line, others one entry per line

  static String print(ObjectNode root, String what) {
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
      out.append(DefinitionJson.MAPPER.writeValueAsString(n));
      return;
    }
    boolean flat = isFlat(n);
    String inner = indent + "  ";
    out.append(n.isObject() ? '{' : '[');
    List<String> keys = new ArrayList<>();
    List<JsonNode> values = new ArrayList<>();
    if (n.isObject()) {
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        keys.add(DefinitionJson.MAPPER.writeValueAsString(e.getKey()) + ": ");
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
