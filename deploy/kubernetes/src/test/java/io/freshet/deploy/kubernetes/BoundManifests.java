package io.freshet.deploy.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;

/**
 * A manifest set bound to its typed models, and the problems found in it so far: what the checks of
 * {@link ManifestValidator} share.
 */
final class BoundManifests {
  /** A bound object and the document it came from. */
  record Bound<T>(Document doc, T object) {}

  final List<Bound<? extends HasMetadata>> kubernetes = new ArrayList<>();
  final List<Bound<FlinkDeploymentSpec>> flinkDeployments = new ArrayList<>();

  /** Names of the Secrets some pod reads, filled in by the pod checks. */
  final Set<String> referencedSecrets = new HashSet<>();

  private final List<String> problems = new ArrayList<>();

  /** A problem of the object at {@code where}: {@code where: <formatted message>}. */
  void problem(String where, String format, Object... args) {
    problems.add(where + ": " + String.format(Locale.ROOT, format, args));
  }

  /** A problem of the set as a whole. */
  void problem(String message) {
    problems.add(message);
  }

  boolean hasProblems() {
    return !problems.isEmpty();
  }

  /** The problems, each once, in the order found. */
  List<String> problems() {
    return List.copyOf(new LinkedHashSet<>(problems));
  }

  @SuppressWarnings("unchecked")
  <T> List<Bound<T>> all(Class<T> type) {
    return kubernetes.stream()
        .filter(b -> type.isInstance(b.object()))
        .map(b -> (Bound<T>) b)
        .toList();
  }

  <T extends HasMetadata> Optional<T> named(Class<T> type, String name) {
    return all(type).stream()
        .map(Bound::object)
        .filter(o -> name != null && name.equals(o.getMetadata().getName()))
        .findFirst();
  }

  <T extends HasMetadata> List<String> names(Class<T> type) {
    return all(type).stream().map(b -> b.object().getMetadata().getName()).toList();
  }
}
