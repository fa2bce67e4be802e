package io.freshet.deploy.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kustomization.yaml against the files beside it, and what kustomize makes of them. */
class KustomizationTest {
  private static final Platform PLATFORM = Platform.get();

  @TempDir Path copy;

  /** The manifests and kustomize files in {@link #copy}, the kustomization passed through edit. */
  private Path copyWith(UnaryOperator<String> kustomizationEdit) throws IOException {
    Path dir = PLATFORM.kubernetesDir();
    List<String> files = new ArrayList<>(ManifestSet.manifestFiles(dir));
    files.addAll(ManifestSet.KUSTOMIZE_FILES);
    for (String file : files) {
      Path target = copy.resolve(file);
      Files.createDirectories(target.getParent());
      String text = ManifestSet.read(dir.resolve(file));
      if (file.equals("kustomization.yaml")) {
        String edited = kustomizationEdit.apply(text);
        assertThat(edited).as("the edit changes kustomization.yaml").isNotEqualTo(text);
        text = edited;
      }
      Files.writeString(target, text, StandardCharsets.UTF_8);
    }
    return copy;
  }

  private List<String> problems(UnaryOperator<String> edit) throws IOException {
    Path dir = copyWith(edit);
    return Kustomization.check(dir, ManifestSet.load(dir));
  }

  @Test
  void rejects_a_manifest_left_out_of_resources() throws IOException {
    assertThat(problems(t -> t.replace("  - gateway/pdb.yaml\n", "")))
        .containsExactly(
            "kustomization.yaml: gateway/pdb.yaml is not in resources, so `kubectl apply -k` would"
                + " leave it out");
  }

  @Test
  void rejects_a_resource_that_does_not_exist() throws IOException {
    assertThat(problems(t -> t.replace("gateway/pdb.yaml", "gateway/budget.yaml")))
        .contains("kustomization.yaml: resource gateway/budget.yaml does not exist");
  }

  @Test
  void rejects_an_image_without_a_pinned_tag() throws IOException {
    assertThat(
            problems(
                t ->
                    t.replace(
                        "  - name: freshet/gateway\n    newTag: 0.1.0-SNAPSHOT\n",
                        "  - name: freshet/gateway\n    newTag: latest\n")))
        .containsExactly(
            "kustomization.yaml: images: freshet/gateway needs a newTag other than latest, or a"
                + " digest");
    assertThat(
            problems(
                t -> t.replace("  - name: freshet/feature-job\n    newTag: 0.1.0-SNAPSHOT\n", "")))
        .containsExactly(
            "kustomization.yaml: images has no entry for freshet/feature-job, so it would deploy"
                + " without a tag (latest)");
  }

  @Test
  void rejects_losing_the_flink_deployment_image_field_spec() throws IOException {
    assertThat(problems(t -> t.replace("configurations:\n  - kustomizeconfig.yaml\n", "")))
        .containsExactly(
            "kustomization.yaml: no configurations file declares the image field spec/image of"
                + " FlinkDeployment, so images would not rewrite the job's image");
  }

  @Test
  void rejects_a_field_kustomize_does_not_have() throws IOException {
    assertThat(problems(t -> t.replace("namespace: freshet", "namespaces: freshet")))
        .anySatisfy(
            p -> assertThat(p).contains(".namespaces: unknown field (did you mean namespace?)"));
  }

  /**
   * What {@code kubectl apply -k} would send, rendered by the kustomize built into kubectl when it
   * is on the PATH: the rendered objects pass the same checks, carry the namespace, and the images
   * (the FlinkDeployment's too) carry their tags.
   */
  @Test
  void kubectl_kustomize_renders_objects_that_pass_every_check() throws Exception {
    Path kubectl = onPath("kubectl");
    assumeTrue(kubectl != null, "kubectl is not on the PATH: the rendering is not checked");
    Process process =
        new ProcessBuilder(kubectl.toString(), "kustomize", PLATFORM.kubernetesDir().toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("kubectl kustomize ends").isTrue();
    assertThat(process.exitValue()).as("kubectl kustomize: " + output).isZero();

    ManifestSet rendered = ManifestSet.fromYaml("kubectl kustomize", output);
    assertThat(ManifestValidator.validate(rendered, PLATFORM)).isEmpty();
    for (Document doc : rendered.documents()) {
      if (!doc.kind().equals("Namespace")) {
        assertThat(doc.tree().path("metadata").path("namespace").asText())
            .as(doc.where())
            .isEqualTo("freshet");
      }
      assertThat(
              doc.tree().path("metadata").path("labels").path("app.kubernetes.io/part-of").asText())
          .as(doc.where())
          .isEqualTo("freshet");
    }
    assertThat(
            rendered
                .find("FlinkDeployment", "freshet-features")
                .orElseThrow()
                .tree()
                .path("spec")
                .path("image")
                .asText())
        .isEqualTo("freshet/feature-job:0.1.0-SNAPSHOT");
    assertThat(
            rendered
                .find("Deployment", "freshet-gateway")
                .orElseThrow()
                .tree()
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0)
                .path("image")
                .asText())
        .isEqualTo("freshet/gateway:0.1.0-SNAPSHOT");
    assertThat(
            rendered
                .find("RoleBinding", "freshet-flink")
                .orElseThrow()
                .tree()
                .path("subjects")
                .get(0)
                .path("namespace")
                .asText())
        .isEqualTo("freshet");
  }

  private static Path onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    return Stream.of(path.split(File.pathSeparator))
        .map(d -> Path.of(d).resolve(command))
        .filter(Files::isExecutable)
        .findFirst()
        .orElse(null);
  }
}
