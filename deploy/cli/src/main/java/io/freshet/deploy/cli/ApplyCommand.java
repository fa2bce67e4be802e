package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.stack.StackException;
import io.freshet.dsl.FeatureView;
import io.freshet.plan.ViewPlan;
import io.freshet.registry.Plan;
import io.freshet.registry.Registry;
import io.freshet.registry.RegistryException;
import io.freshet.registry.ViewChange;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code freshet apply}: validates the definitions, prints the registry's plan for them and
 * registers them. A view whose meaning changed becomes a new version with its own offline table;
 * the old version and its table stay as they are.
 */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Validates the feature definitions, prints what registering them changes, and registers"
          + " them.",
      "",
      "The plan lists each view as new (+), changed (~, a new meaning: a new version with its own"
          + " offline table), settings changed (~, TTL, availability delay or idle timeout: same"
          + " version and table) or unchanged (=). Registered views these definitions leave out"
          + " are listed and left as they are.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the plan was printed and, unless --dry-run, registered",
      "1:the registry could not be reached, read or written",
      "2:the definitions or the command line are invalid (the DSL's message says why)"
    })
final class ApplyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--dry-run", description = "Print the plan; register nothing.")
  boolean dryRun;

  @Mixin DefinitionsOption definitions;
  @Mixin PostgresOption pg;

  private final Map<String, String> env;

  ApplyCommand() {
    this(System.getenv());
  }

  ApplyCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Definitions defs = definitions.load();
    Setting pgSetting = pg.resolve(env);
    List<FeatureView> views = defs.catalog().plans().stream().map(ViewPlan::view).toList();
    out.printf(
        "Definitions: %s, %d view%s%s%n",
        defs.describe(),
        views.size(),
        views.size() == 1 ? "" : "s",
        defs.catalog().services().isEmpty()
            ? ""
            : ", " + defs.catalog().services().size() + " feature service(s)");
    String where = PostgresOption.display(pgSetting.value());
    out.printf("Registry:    %s (from %s)%n%n", where, pgSetting.source());
    out.flush();

    Registry registry = Registries.open(pgSetting);
    try {
      Plan plan = registry.plan(views);
      out.print(plan.describe());
      if (dryRun) {
        out.println();
        out.println("Dry run: nothing registered.");
        return 0;
      }
      if (!plan.hasChanges()) {
        out.println();
        out.println("Nothing to register: the registry already holds these definitions.");
        return 0;
      }
      Plan done = registry.apply(plan);
      if (!done.describe().equals(plan.describe())) {
        out.println();
        out.println("Another apply came in between; what this one did:");
        out.print(done.describe());
      }
      out.println();
      out.printf("Registered in %s.%n", where);
      List<ViewChange> changed = done.changes(ViewChange.Kind.CHANGED);
      if (!changed.isEmpty()) {
        out.printf(
            "A running job keeps writing the previous version of %s until the job is submitted"
                + " again with these definitions (see `freshet help submit`).%n",
            String.join(", ", changed.stream().map(ViewChange::name).toList()));
      }
      out.flush();
      return 0;
    } catch (RegistryException e) {
      throw new StackException(e.getMessage(), e);
    }
  }
}
