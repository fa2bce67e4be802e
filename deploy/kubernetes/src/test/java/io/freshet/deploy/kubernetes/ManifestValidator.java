package io.freshet.deploy.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;
import org.apache.flink.kubernetes.operator.api.spec.FlinkVersion;

/**
 * Checks a set of manifests the way a cluster would, and then some. First every object is bound to
 * its typed model with unknown fields failing: fabric8's for Kubernetes kinds, the operator's CRD
 * schema and model for the FlinkDeployment. When all fit, {@link KubernetesChecks} and {@link
 * FlinkDeploymentChecks} look at the references between objects and the rules Freshet's deployment
 * relies on. Each problem names the file, the object, the field path, what is wrong and what would
 * be right.
 */
final class ManifestValidator {
  static final String FLINK_DEPLOYMENT = "flink.apache.org/v1beta1/FlinkDeployment";

  private static final Map<String, Class<? extends HasMetadata>> KUBERNETES_TYPES =
      Map.of(
          "v1/Namespace", Namespace.class,
          "v1/ServiceAccount", ServiceAccount.class,
          "v1/Secret", Secret.class,
          "v1/Service", Service.class,
          "apps/v1/Deployment", Deployment.class,
          "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
          "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
          "rbac.authorization.k8s.io/v1/Role", Role.class,
          "rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class);

  private static final Pattern DNS_1035_LABEL = Pattern.compile("[a-z]([-a-z0-9]*[a-z0-9])?");
  static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private ManifestValidator() {}

  /** Every problem of {@code set}; empty when it is fit to apply. */
  static List<String> validate(ManifestSet set, Platform platform) {
    BoundManifests bound = new BoundManifests();
    bind(set, platform, bound);
    if (bound.hasProblems()) {
      // As the API server would: an object that does not fit its schema is not looked into.
      return bound.problems();
    }
    new KubernetesChecks(bound).run();
    new FlinkDeploymentChecks(bound, platform).run();
    return bound.problems();
  }

  private static void bind(ManifestSet set, Platform platform, BoundManifests bound) {
    Set<String> seen = new HashSet<>();
    for (Document doc : set.documents()) {
      if (doc.apiVersion().isEmpty() || doc.kind().isEmpty() || doc.name().isEmpty()) {
        bound.problem(doc.where(), "apiVersion, kind and metadata.name are required");
        continue;
      }
      if (!seen.add(doc.kind() + "/" + doc.name())) {
        bound.problem(doc.where(), "defined twice (one would overwrite the other)");
      }
      checkName(doc, bound);
      if (doc.type().equals(FLINK_DEPLOYMENT)) {
        bindFlinkDeployment(doc, platform, bound);
        continue;
      }
      Class<? extends HasMetadata> type = KUBERNETES_TYPES.get(doc.type());
      if (type == null) {
        bound.problem(
            doc.where(),
            "%s is not a kind these manifests use (known: %s and %s)",
            doc.type(),
            new TreeSet<>(KUBERNETES_TYPES.keySet()),
            FLINK_DEPLOYMENT);
        continue;
      }
      List<String> problems = new ArrayList<>();
      StrictJson.bind(doc.tree(), type, doc.where(), "", problems)
          .ifPresent(object -> bound.kubernetes.add(new BoundManifests.Bound<>(doc, object)));
      problems.forEach(bound::problem);
    }
  }

  private static void checkName(Document doc, BoundManifests bound) {
    String name = doc.name();
    boolean label = doc.kind().equals("Service") || doc.kind().equals("Namespace");
    Pattern rule = label ? DNS_1035_LABEL : DNS_SUBDOMAIN;
    int max = label ? 63 : 253;
    if (!rule.matcher(name).matches() || name.length() > max) {
      bound.problem(
          doc.where(),
          "metadata.name '%s' is not a valid %s name (lower-case letters, digits and '-', at most"
              + " %d characters%s)",
          name,
          doc.kind(),
          max,
          label ? ", starting with a letter" : "");
    }
    Map<String, String> labels = new LinkedHashMap<>();
    doc.tree()
        .path("metadata")
        .path("labels")
        .fields()
        .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    KubernetesChecks.checkLabels(bound, doc.where(), ".metadata.labels", labels);
  }

  /**
   * The FlinkDeployment against the operator's CRD schema (all of it), then its spec bound to the
   * operator's model. The operator-api release on Maven Central may predate the Flink version (its
   * FlinkVersion enum and CRD stopped at v1_20 in 1.10): then flinkVersion is exempt from both, and
   * {@link FlinkDeploymentChecks} checks it against the build's Flink version instead.
   */
  private static void bindFlinkDeployment(Document doc, Platform platform, BoundManifests bound) {
    for (String problem : platform.flinkDeploymentSchema.validate(doc.tree())) {
      if (problem.startsWith(".spec.flinkVersion: \"v2_")) {
        continue; // the newest CRD on Maven Central predates Flink 2; checked against the build
      }
      bound.problem(doc.where(), "%s (operator CRD schema)", problem);
    }
    List<String> problems = new ArrayList<>();
    StrictJson.bind(
        doc.tree().path("metadata"), ObjectMeta.class, doc.where(), ".metadata", problems);
    JsonNode specNode = doc.tree().get("spec");
    if (!(specNode instanceof ObjectNode)) {
      bound.problem(doc.where(), ".spec is missing");
      return;
    }
    ObjectNode spec = ((ObjectNode) specNode).deepCopy();
    String version = spec.path("flinkVersion").asText("");
    if (!version.isEmpty()
        && Arrays.stream(FlinkVersion.values()).noneMatch(v -> v.name().equals(version))) {
      spec.remove("flinkVersion");
    }
    StrictJson.bind(spec, FlinkDeploymentSpec.class, doc.where(), ".spec", problems)
        .ifPresent(s -> bound.flinkDeployments.add(new BoundManifests.Bound<>(doc, s)));
    problems.forEach(bound::problem);
  }
}
