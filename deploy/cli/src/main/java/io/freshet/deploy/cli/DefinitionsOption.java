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
  /**
   * The plans the streaming job runs: the named views, which must read Kafka, or every view over
   * Kafka when none is named. Table-sourced views are loaded by {@code freshet materialize}.
   */
  static List<ViewPlan> streamedPlans(Definitions definitions, List<String> views) {
    List<ViewPlan> plans = plans(definitions, views);
    for (ViewPlan p : plans) {
      if (p.tableSourced() && !views.isEmpty()) {
        throw new UsageException(
            "view '"
                + p.name()
                + "' reads table "
                + p.tableSource().label()
                + ", not Kafka: load it with `freshet materialize --view "
                + p.name()
                + "` instead");
      }
    }
    List<ViewPlan> streamed = plans.stream().filter(p -> !p.tableSourced()).toList();
    if (streamed.isEmpty()) {
      throw new UsageException(
          "no view reads Kafka, so there is no streaming job to run (table-sourced views are"
              + " loaded with `freshet materialize --view <view>`)");
    }
    return streamed;
  }

  static List<ViewPlan> plans(Definitions definitions, List<String> views) {
    try {
      return definitions.plans(views.stream().map(String::strip).toList());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage(), e);
    }
  }
}
