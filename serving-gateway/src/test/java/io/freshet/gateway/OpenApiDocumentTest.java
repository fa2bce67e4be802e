package io.freshet.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshet.gateway.http.GatewayRequestHandler;
import io.freshet.gateway.http.Route;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document checked in with the gateway: well-formed, describing exactly the routes the
 * gateway serves, served unchanged at {@code /openapi.json}, and its example request really works.
 */
class OpenApiDocumentTest {
  private static final Set<String> METHODS =
      Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

  private static GatewayFixture fixture;
  private static JsonNode doc;

  @BeforeAll
  static void start() throws IOException {
    doc = GatewayClient.MAPPER.readTree(GatewayRequestHandler.openApiDocument());
    fixture = new GatewayFixture(config -> config);
  }

  @AfterAll
  static void stop() throws IOException {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void is_an_openapi_3_document_with_title_version_and_paths() {
    assertThat(doc.path("openapi").asText()).startsWith("3.0.");
    assertThat(doc.path("info").path("title").asText()).isNotBlank();
    assertThat(doc.path("info").path("version").asText()).isNotBlank();
    assertThat(doc.path("paths").isObject()).isTrue();
  }

  @Test
  void describes_exactly_the_routes_the_gateway_serves() {
    Set<String> documented = new HashSet<>();
    doc.path("paths")
        .fields()
        .forEachRemaining(
            path ->
                path.getValue()
                    .fieldNames()
                    .forEachRemaining(
                        method -> {
                          if (METHODS.contains(method)) {
                            documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
                          }
                        }));
    Set<String> served = new HashSet<>();
    for (Route route : Route.values()) {
      served.add(route.method() + " " + route.template());
    }

    assertThat(documented).isEqualTo(served);
  }

  @Test
  void every_operation_has_an_id_responses_and_its_path_parameters() {
    for (Route route : Route.values()) {
      JsonNode op =
          doc.path("paths").path(route.template()).path(route.method().toLowerCase(Locale.ROOT));
      assertThat(op.path("operationId").asText()).as(route.name()).isNotBlank();
      assertThat(op.path("responses").isObject()).as(route.name()).isTrue();
      // A push is accepted (202) once Kafka has the events; every other route answers 200.
      String success = route == Route.PUSH ? "202" : "200";
      assertThat(op.path("responses").has(success)).as(route.name()).isTrue();
      if (!route.open()) {
        assertThat(op.path("responses").has("401")).as(route + " documents 401").isTrue();
      } else {
        assertThat(op.path("security").isArray() && op.path("security").isEmpty())
            .as(route + " is open")
            .isTrue();
      }
      List<String> declared = new ArrayList<>();
      op.path("parameters")
          .forEach(
              p -> {
                // query parameters are free; those in the path are exactly the template's
                if (p.path("in").asText().equals("path")) {
                  declared.add(p.path("name").asText());
                } else {
                  assertThat(p.path("in").asText()).as(route.name()).isEqualTo("query");
                }
              });
      List<String> inTemplate = new ArrayList<>();
      Matcher m = Pattern.compile("\\{([^}]+)}").matcher(route.template());
      while (m.find()) {
        inTemplate.add(m.group(1));
      }
      assertThat(declared).as(route.name()).containsExactlyElementsOf(inTemplate);
    }
  }

  @Test
  void every_reference_resolves() {
    List<String> refs = new ArrayList<>();
    collectRefs(doc, refs);

    assertThat(refs).isNotEmpty();
    for (String ref : refs) {
      assertThat(ref).startsWith("#/");
      JsonNode target = doc.at(ref.substring(1));
      assertThat(target.isMissingNode()).as("$ref %s", ref).isFalse();
    }
  }

  @Test
  void the_gateway_serves_this_document() {
    HttpResponse<String> response = fixture.client.get("/openapi.json");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(response.body())
        .isEqualTo(new String(GatewayRequestHandler.openApiDocument(), StandardCharsets.UTF_8));
  }

  @Test
  void the_documented_example_request_is_answered_with_the_documented_fields() {
    JsonNode op = doc.path("paths").path("/get-online-features").path("post");
    JsonNode example =
        op.path("requestBody").path("content").path("application/json").path("example");
    fixture.table.write(
        fixture.gateway.catalog().orElseThrow().plan("user_activity"),
        ActivityRows.of("user_42", GatewayFixture.recentWindowEnd(), 12, 1, 19.99));

    HttpResponse<String> response = fixture.client.post("/get-online-features", example.toString());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode answer = GatewayClient.json(response);
    JsonNode documented =
        op.path("responses").path("200").path("content").path("application/json").path("example");
    assertThat(answer.get("metadata").get("feature_names"))
        .isEqualTo(documented.get("metadata").get("feature_names"));
    assertThat(answer.get("metadata").get("request_instants"))
        .hasSameSizeAs(documented.get("metadata").get("request_instants"));
    for (JsonNode instant : answer.get("metadata").get("request_instants")) {
      assertThat(instant.textValue()).matches("\\d{4}-\\d\\d-\\d\\dT[0-9:]{8}\\.\\d{6}Z");
    }
    JsonNode schemas = doc.path("components").path("schemas");
    assertHasRequired(answer, schemas.path("GetOnlineFeaturesResponse"));
    for (JsonNode column : answer.get("results")) {
      assertHasRequired(column, schemas.path("FeatureVector"));
      column
          .get("statuses")
          .forEach(
              s ->
                  assertThat(texts(schemas.path("FieldStatus").path("enum"))).contains(s.asText()));
    }
  }

  private static void assertHasRequired(JsonNode value, JsonNode schema) {
    for (JsonNode name : schema.path("required")) {
      assertThat(value.has(name.asText())).as("required field %s", name.asText()).isTrue();
    }
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(e -> out.add(e.asText()));
    return out;
  }

  private static void collectRefs(JsonNode node, List<String> refs) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("$ref")) {
          refs.add(e.getValue().asText());
        } else {
          collectRefs(e.getValue(), refs);
        }
      }
    } else if (node.isArray()) {
      node.forEach(child -> collectRefs(child, refs));
    }
  }
}
