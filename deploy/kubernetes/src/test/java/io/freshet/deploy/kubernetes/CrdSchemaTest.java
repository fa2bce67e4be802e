package io.freshet.deploy.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The structural-schema rules on a small CRD, one rule per test. */
class CrdSchemaTest {
  private static final String CRD =
      """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata:
        name: widgets.example.com
      spec:
        group: example.com
        names:
          kind: Widget
        versions:
          - name: v1
            served: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [size]
                    properties:
                      size:
                        type: integer
                      port:
                        x-kubernetes-int-or-string: true
                        anyOf: [{type: integer}, {type: string}]
                      mode:
                        type: string
                        enum: [fast, safe]
                      labels:
                        type: object
                        additionalProperties:
                          type: string
                      config:
                        x-kubernetes-preserve-unknown-fields: true
                      items:
                        type: array
                        items:
                          type: object
                          properties:
                            name:
                              type: string
          - name: v0
            served: false
      """;

  private static final CrdSchema SCHEMA = CrdSchema.of(yaml(CRD), "v1");

  private static JsonNode yaml(String text) {
    try {
      return ManifestSet.YAML.readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static JsonNode widget(String spec) {
    return yaml("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: " + spec);
  }

  @Test
  void accepts_a_valid_object_and_ignores_server_fields() {
    assertThat(
            SCHEMA.validate(
                widget(
                    "{size: 3, port: http, mode: safe, labels: {a: b}, config: {any: [1, {x: y}]},"
                        + " items: [{name: one}]}")))
        .isEmpty();
    assertThat(SCHEMA.apiVersion()).isEqualTo("example.com/v1");
    assertThat(SCHEMA.kind()).isEqualTo("Widget");
  }

  @Test
  void rejects_unknown_fields_with_a_suggestion() {
    assertThat(SCHEMA.validate(widget("{size: 3, mdoe: safe}")))
        .containsExactly(".spec.mdoe: unknown field (did you mean mode?)");
    assertThat(SCHEMA.validate(widget("{size: 3, items: [{name: a, nmae: b}]}")))
        .containsExactly(".spec.items[0].nmae: unknown field (did you mean name?)");
    assertThat(SCHEMA.validate(yaml("spec: {size: 1}\nstatuss: {}")))
        .containsExactly(".statuss: unknown field (allowed: [spec])");
  }

  @Test
  void rejects_wrong_types() {
    assertThat(SCHEMA.validate(widget("{size: \"3\"}")))
        .containsExactly(".spec.size: must be integer, got the string \"3\"");
    assertThat(SCHEMA.validate(widget("{size: 3, labels: {a: 1}}")))
        .containsExactly(".spec.labels.a: must be string, got the number 1");
    assertThat(SCHEMA.validate(widget("{size: 3, port: true}")))
        .containsExactly(".spec.port: must be an integer or a string, got the boolean true");
  }

  @Test
  void rejects_values_outside_an_enum() {
    assertThat(SCHEMA.validate(widget("{size: 3, mode: quick}")))
        .containsExactly(".spec.mode: \"quick\" is not one of [\"fast\",\"safe\"]");
  }

  @Test
  void rejects_missing_required_fields_and_nulls() {
    assertThat(SCHEMA.validate(widget("{mode: fast}")))
        .containsExactly(".spec.size: required field is missing");
    assertThat(SCHEMA.validate(widget("{size: 3, mode: null}")))
        .containsExactly(
            ".spec.mode: null is not allowed here (remove the field or give it a value)");
  }

  @Test
  void refuses_a_version_the_crd_does_not_serve() {
    assertThatThrownBy(() -> CrdSchema.of(yaml(CRD), "v0"))
        .hasMessage("widgets.example.com no longer serves v0");
    assertThatThrownBy(() -> CrdSchema.of(yaml(CRD), "v2"))
        .hasMessage("widgets.example.com has no version v2");
  }
}
