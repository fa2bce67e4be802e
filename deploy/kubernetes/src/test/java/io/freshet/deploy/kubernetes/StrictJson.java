package io.freshet.deploy.kubernetes;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Binds a parsed document to a typed model the way {@code kubectl apply --validate=strict} treats
 * it: a field the type does not have, a number where a string belongs, or a string where a number
 * belongs is an error.
 *
 * <p>The models are lenient by design: fabric8's keep unknown fields in an {@code @JsonAnySetter}
 * map, the operator's are {@code @JsonIgnoreProperties(ignoreUnknown = true)}. The introspector
 * here switches both off, so an unknown field fails with its path.
 */
final class StrictJson {
  static final ObjectMapper MAPPER = create();

  private StrictJson() {}

  private static ObjectMapper create() {
    ObjectMapper mapper =
        JsonMapper.builder()
            .annotationIntrospector(new StrictIntrospector())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    mapper
        .coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    return mapper;
  }

  /**
   * {@code tree} as a {@code type}, or empty with a problem added: {@code where: path: what}.
   *
   * @param pathPrefix the path of {@code tree} in its document, e.g. {@code .spec}; empty for a
   *     whole document
   */
  static <T> Optional<T> bind(
      JsonNode tree, Class<T> type, String where, String pathPrefix, List<String> problems) {
    try {
      return Optional.of(MAPPER.treeToValue(tree, type));
    } catch (UnrecognizedPropertyException e) {
      List<String> known =
          e.getKnownPropertyIds() == null
              ? List.of()
              : e.getKnownPropertyIds().stream().map(String::valueOf).toList();
      problems.add(
          where
              + ": "
              + pathPrefix
              + path(e.getPath())
              + ": unknown field"
              + (known.isEmpty()
                  ? ""
                  : Suggestions.closest(e.getPropertyName(), known)
                      .map(s -> " (did you mean " + s + "?)")
                      .orElse(
                          " (" + e.getReferringClass().getSimpleName() + " has " + known + ")")));
    } catch (JsonMappingException e) {
      problems.add(
          where + ": " + pathPrefix + path(e.getPath()) + ": " + plain(e.getOriginalMessage()));
    } catch (Exception e) {
      problems.add(where + ": cannot be read as " + type.getSimpleName() + ": " + e.getMessage());
    }
    return Optional.empty();
  }

  private static final Pattern COERCION =
      Pattern.compile(
          "Cannot coerce (\\w+) value \\((.*)\\) to `java\\.lang\\.(\\w+)` value.*",
          Pattern.DOTALL);

  /** Jackson's coercion messages in the manifest's terms: what was written, what to write. */
  static String plain(String message) {
    Matcher m = COERCION.matcher(message);
    if (!m.matches()) {
      return message;
    }
    String wanted =
        switch (m.group(3)) {
          case "String" -> "a string";
          case "Boolean" -> "a boolean";
          default -> "a number";
        };
    String fix = m.group(3).equals("String") ? "quote it" : "write it without quotes";
    return "must be "
        + wanted
        + ", got the "
        + m.group(1).toLowerCase(Locale.ROOT)
        + " "
        + m.group(2)
        + " ("
        + fix
        + ")";
  }

  /** {@code .spec.template.spec.containers[0].ports[1].containerPort} */
  static String path(List<JsonMappingException.Reference> references) {
    String path =
        references.stream()
            .map(
                r ->
                    r.getFieldName() != null
                        ? "." + r.getFieldName()
                        : r.getIndex() >= 0 ? "[" + r.getIndex() + "]" : "")
            .collect(Collectors.joining());
    return path.isEmpty() ? "." : path;
  }

  /** Jackson's own annotations, less the two that let unknown fields pass. */
  private static final class StrictIntrospector extends JacksonAnnotationIntrospector {
    @Override
    public JsonIgnoreProperties.Value findPropertyIgnoralByName(
        MapperConfig<?> config, Annotated annotated) {
      return super.findPropertyIgnoralByName(config, annotated).withoutIgnoreUnknown();
    }

    @Override
    public Boolean hasAnySetter(Annotated annotated) {
      return Boolean.FALSE;
    }
  }
}
