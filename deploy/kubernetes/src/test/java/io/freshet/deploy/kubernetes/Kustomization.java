package io.freshet.deploy.kubernetes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code kustomization.yaml}, bound strictly to the fields it may use, and its checks against the
 * manifest files beside it.
 */
record Kustomization(
    String apiVersion,
    String kind,
    String namespace,
    List<LabelSet> labels,
    List<String> resources,
    List<Image> images,
    List<String> configurations) {

  record LabelSet(Map<String, String> pairs, Boolean includeSelectors, Boolean includeTemplates) {}

  record Image(String name, String newName, String newTag, String digest) {}

  /** {@code kustomizeconfig.yaml}: transformer configuration (only the image field specs). */
  record TransformerConfig(List<FieldSpec> images) {}

  record FieldSpec(String path, String kind, String group, String version, Boolean create) {}

  /**
   * Problems of the kustomization in {@code dir} against the manifest files there and the images
   * they use.
   */
  static List<String> check(Path dir, ManifestSet manifests) {
    List<String> problems = new ArrayList<>();
    Kustomization k = read(dir.resolve("kustomization.yaml"), Kustomization.class, problems);
    if (k == null) {
      return problems;
    }
    if (!"kustomize.config.k8s.io/v1beta1".equals(k.apiVersion())
        || !"Kustomization".equals(k.kind())) {
      problems.add(
          "kustomization.yaml: apiVersion/kind must be kustomize.config.k8s.io/v1beta1"
              + " Kustomization");
    }
    List<String> resources = k.resources() == null ? List.of() : k.resources();
    for (String resource : resources) {
      if (!Files.isRegularFile(dir.resolve(resource))) {
        problems.add("kustomization.yaml: resource " + resource + " does not exist");
      }
    }
    for (String file : ManifestSet.manifestFiles(dir)) {
      if (!resources.contains(file)) {
        problems.add(
            "kustomization.yaml: "
                + file
                + " is not in resources, so `kubectl apply -k` would leave it out");
      }
    }
    if (k.namespace() == null || k.namespace().isBlank()) {
      problems.add("kustomization.yaml: namespace is not set");
    }
    for (Document doc : manifests.documents()) {
      if (doc.tree().path("metadata").has("namespace")) {
        problems.add(
            doc.where() + ": metadata.namespace is set; leave it to the kustomization's namespace");
      }
    }
    Set<String> used = usedImages(manifests);
    Set<String> configured = new TreeSet<>();
    for (Image image : k.images() == null ? List.<Image>of() : k.images()) {
      configured.add(image.name());
      if (!used.contains(image.name())) {
        problems.add("kustomization.yaml: images: " + image.name() + " is used by no manifest");
      }
      boolean pinned =
          image.digest() != null || (image.newTag() != null && !image.newTag().equals("latest"));
      if (!pinned) {
        problems.add(
            "kustomization.yaml: images: "
                + image.name()
                + " needs a newTag other than latest, or a digest");
      }
    }
    for (String image : used) {
      if (!configured.contains(image)) {
        problems.add(
            "kustomization.yaml: images has no entry for "
                + image
                + ", so it would deploy without a tag (latest)");
      }
    }
    if (!manifests.ofKind("FlinkDeployment").isEmpty()) {
      boolean rewritesFlinkImage = false;
      for (String file : k.configurations() == null ? List.<String>of() : k.configurations()) {
        TransformerConfig config = read(dir.resolve(file), TransformerConfig.class, problems);
        if (config != null && config.images() != null) {
          rewritesFlinkImage |=
              config.images().stream()
                  .anyMatch(
                      f -> "spec/image".equals(f.path()) && "FlinkDeployment".equals(f.kind()));
        }
      }
      if (!rewritesFlinkImage) {
        problems.add(
            "kustomization.yaml: no configurations file declares the image field spec/image of"
                + " FlinkDeployment, so images would not rewrite the job's image");
      }
    }
    return problems;
  }

  /** Image names (without tag) of every container and FlinkDeployment in the manifests. */
  static Set<String> usedImages(ManifestSet manifests) {
    Set<String> images = new TreeSet<>();
    for (Document doc : manifests.documents()) {
      doc.tree()
          .path("spec")
          .path("template")
          .path("spec")
          .path("containers")
          .forEach(c -> images.add(c.path("image").asText()));
      if (doc.kind().equals("FlinkDeployment")) {
        images.add(doc.tree().path("spec").path("image").asText());
      }
    }
    images.remove("");
    return images;
  }

  private static <T> T read(Path file, Class<T> type, List<String> problems) {
    try {
      return StrictJson.bind(
              ManifestSet.YAML.readTree(ManifestSet.read(file)),
              type,
              file.getFileName().toString(),
              "",
              problems)
          .orElse(null);
    } catch (Exception e) {
      problems.add(file.getFileName() + ": not valid YAML: " + e.getMessage());
      return null;
    }
  }
}
