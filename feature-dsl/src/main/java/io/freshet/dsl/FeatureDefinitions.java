package io.freshet.dsl;

import java.util.List;

/**
 * A set of feature views and services shipped in a jar. Freshet finds implementations with {@link
 * java.util.ServiceLoader}: list the class in {@code
 * META-INF/services/io.freshet.dsl.FeatureDefinitions}.
 */
public interface FeatureDefinitions {
  /** The views this jar defines. */
  List<FeatureView> views();

  /** The feature services this jar defines; none unless overridden. */
  default List<FeatureService> services() {
    return List.of();
  }
}
