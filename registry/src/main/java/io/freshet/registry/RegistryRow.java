package io.freshet.registry;

import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.json.DefinitionJson;
import java.time.Instant;

/** A row of freshet.feature_views; its JSON is read only when needed. */
record RegistryRow(
    String name,
    int version,
    String fingerprint,
    String versionTag,
    String json,
    boolean current,
    Instant appliedAt,
    Instant updatedAt) {

  RegisteredView registered() {
    FeatureView definition;
    try {
      definition = DefinitionJson.viewFromJson(json);
    } catch (DefinitionException e) {
      throw new RegistryException(
          "the registered definition of view '"
              + name
              + "' version "
              + version
              + " cannot be read: "
              + e.getMessage(),
          e);
    }
    return new RegisteredView(
        name, version, fingerprint, versionTag, definition, current, appliedAt, updatedAt);
  }
}
