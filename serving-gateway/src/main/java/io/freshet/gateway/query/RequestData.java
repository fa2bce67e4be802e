package io.freshet.gateway.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.dsl.FeatureService.RequestFieldSpec;
import io.freshet.dsl.FeatureType;
import io.freshet.plan.OnDemandPlan;
import java.util.List;
import java.util.Map;

/**
 * The values of a service's request fields, one per entity row, typed for {@link OnDemandPlan}: a
 * FLOAT64 field takes JSON numbers, an INT64 field whole JSON numbers within 64 bits (epoch
 * milliseconds for timestamps), a STRING field JSON strings; {@code null} is a missing value. Each
 * field is read from {@code request_context}, or else from a column of {@code entities} of its
 * name.
 */
public final class RequestData {
  private final Object[][] values;
  private final Map<String, Integer> index;

  private RequestData(Object[][] values, Map<String, Integer> index) {
    this.values = values;
    this.index = index;
  }

  /**
   * Reads and checks every request field of {@code plan}.
   *
   * @throws RequestRejection 400 naming the field that is missing or the value of the wrong type
   */
  static RequestData read(OnDemandPlan plan, OnlineFeaturesRequest request) {
    List<RequestFieldSpec> fields = plan.requestFields();
    Object[][] values = new Object[fields.size()][];
    Map<String, Integer> index = new java.util.HashMap<>();
    for (int f = 0; f < fields.size(); f++) {
      RequestFieldSpec spec = fields.get(f);
      index.put(spec.name(), f);
      String where = "request_context";
      List<JsonNode> column = request.requestContext().get(spec.name());
      if (column == null) {
        column = request.entities().get(spec.name());
        where = "entities";
      }
      if (column == null) {
        throw missing(
            plan,
            spec,
            "request_context.",
            "add \""
                + spec.name()
                + "\": [...] to request_context (or to entities), one value per entity row");
      }
      Object[] typed = new Object[column.size()];
      for (int r = 0; r < typed.length; r++) {
        typed[r] = value(spec, where + "." + spec.name() + "[" + r + "]", column.get(r));
      }
      values[f] = typed;
    }
    return new RequestData(values, Map.copyOf(index));
  }

  /**
   * Reads and checks every request field of {@code plan} from a URL's query parameters, for one
   * entity: a FLOAT64 field as a decimal number, an INT64 field as a whole number, a STRING field
   * as its text ({@code parameter(name)} gives the decoded value, or null when absent).
   *
   * @throws RequestRejection 400 naming the parameter that is missing or not of its type
   */
  public static RequestData fromQuery(
      OnDemandPlan plan, java.util.function.Function<String, String> parameter) {
    List<RequestFieldSpec> fields = plan.requestFields();
    Object[][] values = new Object[fields.size()][];
    Map<String, Integer> index = new java.util.HashMap<>();
    for (int f = 0; f < fields.size(); f++) {
      RequestFieldSpec spec = fields.get(f);
      index.put(spec.name(), f);
      String text = parameter.apply(spec.name());
      if (text == null) {
        throw missing(plan, spec, "query.", "add ?" + spec.name() + "=<value> to the URL");
      }
      values[f] = new Object[] {parsed(spec, "query." + spec.name(), text)};
    }
    return new RequestData(values, Map.copyOf(index));
  }

  private static Object parsed(RequestFieldSpec spec, String field, String text) {
    try {
      switch (spec.type()) {
        case FLOAT64 -> {
          double d = Double.parseDouble(text.strip());
          if (Double.isFinite(d)) {
            return d;
          }
        }
        case INT64 -> {
          return Long.parseLong(text.strip());
        }
        case STRING -> {
          return text;
        }
        default -> {}
      }
    } catch (NumberFormatException e) {
      // answered below, naming the type
    }
    String expected =
        switch (spec.type()) {
          case FLOAT64 -> "a finite decimal number, e.g. 42.5";
          case INT64 -> "a whole number within 64 bits (INT64, e.g. epoch milliseconds)";
          default -> "text";
        };
    return reject(field, text, expected);
  }

  private static Object reject(String field, String text, String expected) {
    throw new RequestRejection(
        400,
        "invalid_request_field",
        field,
        JsonText.clip(text),
        field + " must be " + expected + ", got '" + JsonText.clip(text) + "'");
  }

  private static RequestRejection missing(
      OnDemandPlan plan, RequestFieldSpec spec, String where, String what) {
    return new RequestRejection(
        400,
        "missing_request_field",
        where + spec.name(),
        "",
        "feature service '"
            + plan.service()
            + "' needs request field '"
            + spec.name()
            + "' ("
            + spec.type()
            + "): "
            + what);
  }

  /** The value of request field {@code name} at entity row {@code row}. */
  public Object value(String name, int row) {
    Integer f = index.get(name);
    return f == null ? null : values[f][row];
  }

  private static Object value(RequestFieldSpec spec, String field, JsonNode v) {
    if (v == null || v.isNull()) {
      return null;
    }
    FeatureType type = spec.type();
    if (type == FeatureType.FLOAT64 && v.isNumber()) {
      double d = v.doubleValue();
      if (Double.isFinite(d)) {
        return d;
      }
      throw wrong(field, v, "a finite number (it overflows a 64-bit float)");
    }
    if (type == FeatureType.INT64 && v.isIntegralNumber()) {
      if (v.canConvertToLong()) {
        return v.longValue();
      }
      throw wrong(field, v, "a whole number within 64 bits");
    }
    if (type == FeatureType.STRING && v.isTextual()) {
      int bad = JsonText.loneSurrogateAt(v.textValue());
      if (bad >= 0) {
        throw wrong(field, v, "valid Unicode text (a lone UTF-16 surrogate at index " + bad + ")");
      }
      return v.textValue();
    }
    String expected =
        switch (type) {
          case FLOAT64 -> "a number";
          case INT64 -> "a whole number (INT64, e.g. epoch milliseconds)";
          default -> "a string";
        };
    throw wrong(field, v, expected + ", got " + JsonText.kind(v));
  }

  private static RequestRejection wrong(String field, JsonNode v, String expected) {
    return new RequestRejection(
        400,
        "invalid_request_field",
        field,
        JsonText.of(v),
        JsonText.clip(field) + " must be " + expected + " (or null)");
  }
}
