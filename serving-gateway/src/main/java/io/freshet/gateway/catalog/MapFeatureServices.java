package io.freshet.gateway.catalog;

import io.freshet.dsl.FeatureService;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Feature services fixed at construction: the configuration's map, until the registry has them. */
final class MapFeatureServices implements FeatureServiceResolver {
  private final Map<String, List<FeatureRef>> services;
  private final Set<String> names;
  private final Map<String, FeatureService> definitions;

  MapFeatureServices(Map<String, List<FeatureRef>> services) {
    this(services, Map.of());
  }

  MapFeatureServices(
      Map<String, List<FeatureRef>> services, Map<String, FeatureService> definitions) {
    this.services = services;
    this.definitions = definitions;
    this.names = Collections.unmodifiableSet(new LinkedHashSet<>(services.keySet()));
  }

  @Override
  public Optional<FeatureService> definition(String serviceName) {
    return Optional.ofNullable(definitions.get(serviceName));
  }

  @Override
  public Optional<List<FeatureRef>> features(String serviceName) {
    return Optional.ofNullable(services.get(serviceName));
  }

  @Override
  public Set<String> names() {
    return names;
  }

  @Override
  public String toString() {
    return "feature services " + names;
  }
}
