package io.freshet.gateway.catalog;

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

  MapFeatureServices(Map<String, List<FeatureRef>> services) {
    this.services = services;
    this.names = Collections.unmodifiableSet(new LinkedHashSet<>(services.keySet()));
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
