package io.freshet.deploy.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The manifests as committed: everything the validators know, and the template rules. */
class ShippedManifestsTest {
  private static final Platform PLATFORM = Platform.get();

  /** How a value to replace is written: malformed on purpose, so a forgotten one fails fast. */
  private static final Pattern PLACEHOLDER = Pattern.compile("<REPLACE_ME-[a-z0-9-]+>");

  private static ManifestSet manifests() {
    return ManifestSet.load(PLATFORM.kubernetesDir());
  }

  @Test
  void manifests_pass_kubernetes_operator_and_flink_checks() {
    assertThat(ManifestValidator.validate(manifests(), PLATFORM)).isEmpty();
  }

  @Test
  void kustomization_lists_every_manifest_and_pins_every_image() {
    assertThat(Kustomization.check(PLATFORM.kubernetesDir(), manifests())).isEmpty();
  }

  @Test
  void manifests_hold_the_expected_objects() {
    assertThat(manifests().documents())
        .map(d -> d.type() + " " + d.name())
        .containsExactlyInAnyOrder(
            "apps/v1/Deployment freshet-gateway",
            "autoscaling/v2/HorizontalPodAutoscaler freshet-gateway",
            "flink.apache.org/v1beta1/FlinkDeployment freshet-features",
            "policy/v1/PodDisruptionBudget freshet-gateway",
            "rbac.authorization.k8s.io/v1/Role freshet-flink",
            "rbac.authorization.k8s.io/v1/RoleBinding freshet-flink",
            "v1/Namespace freshet",
            "v1/Secret freshet-feature-job",
            "v1/Secret freshet-gateway",
            "v1/Service freshet-gateway",
            "v1/ServiceAccount freshet-flink",
            "v1/ServiceAccount freshet-gateway");
  }

  @Test
  void secret_templates_hold_placeholders_only() {
    for (Document secret : manifests().ofKind("Secret")) {
      assertThat(secret.tree().has("data")).as(secret.where() + " has data").isFalse();
      secret
          .tree()
          .path("stringData")
          .fields()
          .forEachRemaining(
              e ->
                  assertThat(e.getValue().asText())
                      .as(secret.where() + " stringData." + e.getKey())
                      .containsPattern(PLACEHOLDER));
    }
  }

  @Test
  void every_placeholder_has_the_one_form_the_readme_tells_to_search_for() {
    for (String file : ManifestSet.manifestFiles(PLATFORM.kubernetesDir())) {
      String values =
          ManifestSet.read(PLATFORM.kubernetesDir().resolve(file))
              .lines()
              .filter(line -> !line.trim().startsWith("#"))
              .collect(Collectors.joining("\n"));
      List<String> markers =
          Pattern.compile("<?REPLACE_ME[-A-Za-z0-9_]*>?")
              .matcher(values)
              .results()
              .map(MatchResult::group)
              .toList();
      assertThat(markers).as(file).allMatch(m -> PLACEHOLDER.matcher(m).matches());
    }
  }

  @Test
  void operator_crd_comes_from_the_operator_api_artifact() {
    assertThat(Platform.class.getResource(Platform.FLINK_DEPLOYMENT_CRD)).isNotNull();
    assertThat(PLATFORM.flinkDeploymentSchema.enumAt("spec", "flinkVersion")).contains("v1_20");
  }
}
