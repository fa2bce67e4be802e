package io.freshet.deploy.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The structural schema of one version of a CustomResourceDefinition, applied as the API server
 * applies it to a create or update with strict field validation: types, enums, required fields,
 * {@code x-kubernetes-int-or-string}, and no field the schema does not declare unless it says
 * {@code x-kubernetes-preserve-unknown-fields}.
 *
 * <p>{@code apiVersion}, {@code kind} and {@code metadata} are the server's, not the schema's, and
 * are left to the caller (metadata is an ObjectMeta). Schema keywords beyond those generated CRDs
 * use ({@code pattern}, {@code minimum}, CEL rules...) are not evaluated.
 */
final class CrdSchema {
  private static final Set<String> SERVER_FIELDS = Set.of("apiVersion", "kind", "metadata");

  private final String group;
  private final String kind;
  private final String version;
  private final JsonNode openApiV3Schema;

  private CrdSchema(String group, String kind, String version, JsonNode openApiV3Schema) {
    this.group = group;
    this.kind = kind;
    this.version = version;
    this.openApiV3Schema = openApiV3Schema;
  }

  /**
   * The schema of {@code version} in an {@code apiextensions.k8s.io/v1} CRD.
   *
   * @throws IllegalArgumentException when the CRD does not serve that version
   */
  static CrdSchema of(JsonNode crd, String version) {
    for (JsonNode v : crd.path("spec").path("versions")) {
      if (v.path("name").asText().equals(version)) {
        if (!v.path("served").asBoolean(false)) {
          throw new IllegalArgumentException(
              crd.path("metadata").path("name").asText() + " no longer serves " + version);
        }
        return new CrdSchema(
            crd.path("spec").path("group").asText(),
            crd.path("spec").path("names").path("kind").asText(),
            version,
            v.path("schema").path("openAPIV3Schema"));
      }
    }
    throw new IllegalArgumentException(
        crd.path("metadata").path("name").asText() + " has no version " + version);
  }

  String apiVersion() {
    return group + "/" + version;
  }

  String kind() {
    return kind;
  }

  /** The allowed values of the field at {@code path} (e.g. spec, flinkVersion), or none. */
  List<String> enumAt(String... path) {
    JsonNode schema = openApiV3Schema;
    for (String field : path) {
      schema = schema.path("properties").path(field);
    }
    List<String> values = new ArrayList<>();
    schema.path("enum").forEach(v -> values.add(v.asText()));
    return values;
  }

  /** Problems of {@code object} against the schema, each {@code .path: what}. */
  List<String> validate(JsonNode object) {
    List<String> problems = new ArrayList<>();
    if (!object.isObject()) {
      problems.add(".: must be an object, got " + describe(object));
      return problems;
    }
    JsonNode properties = openApiV3Schema.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (SERVER_FIELDS.contains(field.getKey())) {
        continue;
      }
      JsonNode schema = properties.get(field.getKey());
      if (schema == null) {
        problems.add(
            "." + field.getKey() + ": unknown field" + suggestion(field.getKey(), properties));
      } else {
        check(field.getValue(), schema, "." + field.getKey(), problems);
      }
    }
    return problems;
  }

  private static void check(JsonNode value, JsonNode schema, String path, List<String> problems) {
    if (value.isNull()) {
      if (!schema.path("nullable").asBoolean(false)) {
        problems.add(path + ": null is not allowed here (remove the field or give it a value)");
      }
      return;
    }
    if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
      if (!value.isIntegralNumber() && !value.isTextual()) {
        problems.add(path + ": must be an integer or a string, got " + describe(value));
      }
      return;
    }
    String type = schema.path("type").asText("");
    if (!type.isEmpty() && !hasType(value, type)) {
      problems.add(path + ": must be " + type + ", got " + describe(value));
      return;
    }
    JsonNode allowed = schema.get("enum");
    if (allowed != null && !contains(allowed, value)) {
      problems.add(path + ": " + value + " is not one of " + allowed);
    }
    if (value.isObject()) {
      checkObject(value, schema, path, problems);
    } else if (value.isArray() && schema.has("items")) {
      for (int i = 0; i < value.size(); i++) {
        check(value.get(i), schema.get("items"), path + "[" + i + "]", problems);
      }
    }
  }

  private static void checkObject(
      JsonNode value, JsonNode schema, String path, List<String> problems) {
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.get("additionalProperties");
    boolean preserveUnknown = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String child = path + "." + field.getKey();
      if (properties.has(field.getKey())) {
        check(field.getValue(), properties.get(field.getKey()), child, problems);
      } else if (additional != null && additional.isObject()) {
        check(field.getValue(), additional, child, problems);
      } else if (!preserveUnknown && !(additional != null && additional.asBoolean(false))) {
        problems.add(child + ": unknown field" + suggestion(field.getKey(), properties));
      }
    }
    for (JsonNode required : schema.path("required")) {
      if (!value.has(required.asText())) {
        problems.add(path + "." + required.asText() + ": required field is missing");
      }
    }
  }

  private static boolean hasType(JsonNode value, String type) {
    return switch (type) {
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      default -> true;
    };
  }

  private static boolean contains(JsonNode allowed, JsonNode value) {
    for (JsonNode a : allowed) {
      if (a.equals(value)) {
        return true;
      }
    }
    return false;
  }

  private static String suggestion(String field, JsonNode properties) {
    Set<String> names = new TreeSet<>();
    properties.fieldNames().forEachRemaining(names::add);
    return Suggestions.closest(field, names)
        .map(s -> " (did you mean " + s + "?)")
        .orElse(names.isEmpty() ? "" : " (allowed: " + names + ")");
  }

  private static String describe(JsonNode value) {
    return switch (value.getNodeType()) {
      case STRING -> "the string \"" + value.asText() + "\"";
      case NUMBER -> "the number " + value;
      case BOOLEAN -> "the boolean " + value;
      case ARRAY -> "a list";
      case OBJECT -> "a mapping";
      default -> value.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
