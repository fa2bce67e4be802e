package io.freshet.deploy.cli;

import io.freshet.deploy.init.ProjectTemplate;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code freshet init}: writes a Maven project for one's own feature definitions. */
@Command(
    name = "init",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Writes a Maven project for your own feature definitions into a new or empty folder.",
      "",
      "The project builds as it is (mvn package): a sample view page_clicks over the topic"
          + " page-clicks, its service file, a test that runs the checks of freshet apply, a"
          + " script printing sample events, and a README of the next commands. It needs Freshet's"
          + " DSL (io.freshet:feature-dsl) in your local Maven repository: mvn install in the"
          + " Freshet checkout, or the first run of deploy/bin/freshet, puts it there.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the project was written",
      "2:the folder is not empty, or a name is not valid (nothing written)"
    })
final class InitCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "<dir>",
      description = "The folder to write, e.g. acme-features.")
  Path dir;

  @Option(
      names = "--package",
      defaultValue = "com.example.features",
      paramLabel = "<package>",
      description = "Java package of the sample definitions (default: ${DEFAULT-VALUE}).")
  String javaPackage;

  @Option(
      names = "--group-id",
      paramLabel = "<groupId>",
      description = "Maven groupId (default: the package).")
  String groupId;

  @Option(
      names = "--artifact-id",
      paramLabel = "<artifactId>",
      description = "Maven artifactId, which names the jar (default: the folder's name).")
  String artifactId;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<Path> written;
    ProjectTemplate.Coordinates coordinates;
    try {
      coordinates =
          new ProjectTemplate.Coordinates(
              javaPackage,
              groupId != null ? groupId : javaPackage,
              artifactId != null ? artifactId : ProjectTemplate.artifactIdFor(dir));
      written = ProjectTemplate.write(dir, coordinates);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage(), e);
    }
    String jar = "target/" + coordinates.artifactId() + "-1.0.jar";
    out.printf("Wrote a feature definitions project to %s:%n", dir);
    written.forEach(p -> out.printf("  %s%n", p));
    out.println();
    out.println("Next:");
    out.printf("  cd %s%n", dir);
    out.println("  mvn package");
    out.printf("  freshet apply --definitions %s%n", jar);
    out.printf("  freshet submit --definitions %s --views page_clicks --create-topics%n", jar);
    out.printf("Then send events and read features: see %s.%n", dir.resolve("README.md"));
    String version = ProjectTemplate.versions().get("freshet.version");
    if (!dslInstalled(version)) {
      out.printf(
          "%nNote: io.freshet:feature-dsl:%s is not in ~/.m2/repository, and mvn package needs"
              + " it: run mvn install in the Freshet checkout (deploy/bin/freshet does so when it"
              + " builds). Ignore this if your Maven uses another local repository.%n",
          version);
    }
    out.flush();
    return FreshetCommand.EXIT_OK;
  }

  /** Whether the DSL the project depends on is in the default local Maven repository. */
  private static boolean dslInstalled(String version) {
    String home = System.getProperty("user.home");
    return home != null
        && Files.isRegularFile(
            Path.of(
                home,
                ".m2/repository/io/freshet/feature-dsl",
                version,
                "feature-dsl-" + version + ".jar"));
  }
}
