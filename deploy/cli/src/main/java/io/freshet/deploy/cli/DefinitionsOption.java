package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.plan.ViewPlan;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --definitions <jar>}: the user's feature definitions instead of the bundled examples. */
final class DefinitionsOption {
  @Option(
      names = {"--definitions", "--definition"},
      paramLabel = "<jar>",
      description =
          "A jar with your feature definitions: classes implementing"
              + " io.freshet.dsl.FeatureDefinitions, listed in"
              + " META-INF/services/io.freshet.dsl.FeatureDefinitions (default: the bundled"
              + " examples).")
  Path jar;

  /** The definitions named, loaded and validated. */
  Definitions load() {
    return Definitions.load(jar);
  }

  /** The plans of {@code views} in {@code definitions}; an unknown view is a usage error. */
  static List<ViewPlan> plans(Definitions definitions, List<String> views) {
    try {
      return definitions.plans(views.stream().map(String::strip).toList());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage(), e);
    }
  }
}
