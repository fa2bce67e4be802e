package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.init.ProjectTemplate;
import io.freshet.dsl.FeatureDefinitions;
import io.freshet.plan.ViewPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The project {@code freshet init} writes, built by real Maven as a user builds it: {@code mvn
 * package} compiles it and runs its test against this build's DSL, and the jar it makes is what
 * {@code freshet apply} accepts.
 *
 * <p>The build runs in a local repository of its own, so nothing is installed into the shared one:
 * this build's DSL and parent pom are placed there, and everything else (plugins, JUnit) is copied
 * on demand from the local repository of the Maven running this test, through a mirror. So no
 * network is used, and the versions the project pins must be the ones Freshet builds with.
 */
class InitProjectBuildIT {
  @TempDir Path work;

  @Test
  void mvn_package_builds_the_project_and_apply_accepts_its_jar() throws Exception {
    Path project = work.resolve("acme-features");
    Cli.Result init = Cli.run("init", project.toString(), "--package", "com.acme.features");
    assertThat(init.exitCode()).as(init.toString()).isZero();

    Path repository = localRepositoryWithThisDsl(work.resolve("m2"));
    Path settings =
        Files.writeString(
            work.resolve("settings.xml"),
            """
            <settings>
              <localRepository>%s</localRepository>
              <mirrors>
                <mirror>
                  <id>local-repository-of-this-build</id>
                  <mirrorOf>*</mirrorOf>
                  <url>%s</url>
                </mirror>
              </mirrors>
            </settings>
            """
                .formatted(repository, sharedRepository().toUri()));
    Path log = work.resolve("mvn.log");
    Process mvn =
        new ProcessBuilder(mvn().toString(), "-B", "-s", settings.toString(), "package")
            .directory(project.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertThat(mvn.waitFor(5, TimeUnit.MINUTES)).as("mvn package finished").isTrue();
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(mvn.exitValue()).as(output).isZero();
    assertThat(output)
        .contains("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0")
        .doesNotContain("[WARNING] 'build.plugins.plugin.version'");

    Path jar = project.resolve("target/acme-features-1.0.jar");
    assertThat(Definitions.fromJar(jar).catalog().plans())
        .extracting(ViewPlan::name)
        .containsExactly("page_clicks");
  }

  /** A local repository holding this build's feature-dsl and parent pom, as mvn install would. */
  private static Path localRepositoryWithThisDsl(Path repository) throws Exception {
    String version = ProjectTemplate.versions().get("freshet.version");
    Path checkout = Path.of(System.getProperty("freshet.home", "../..")).toAbsolutePath();
    Path dsl = Files.createDirectories(repository.resolve("io/freshet/feature-dsl/" + version));
    Path parent =
        Files.createDirectories(repository.resolve("io/freshet/freshet-parent/" + version));
    Files.copy(checkout.resolve("pom.xml"), parent.resolve("freshet-parent-" + version + ".pom"));
    Files.copy(
        checkout.resolve("feature-dsl/pom.xml"), dsl.resolve("feature-dsl-" + version + ".pom"));
    Path dslJar = dsl.resolve("feature-dsl-" + version + ".jar");
    Path built =
        Path.of(
            FeatureDefinitions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (Files.isRegularFile(built)) {
      Files.copy(built, dslJar);
    } else {
      jarOf(built, dslJar);
    }
    return repository;
  }

  private static void jarOf(Path classes, Path jar) throws IOException {
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
        out.write(Files.readAllBytes(f));
        out.closeEntry();
      }
    }
  }

  /** The local repository of the Maven running this build. */
  private static Path sharedRepository() {
    String configured = System.getProperty("freshet.local-repository");
    return configured != null && !configured.isBlank()
        ? Path.of(configured)
        : Path.of(System.getProperty("user.home"), ".m2", "repository");
  }

  /** The Maven running this build, else the one on the PATH. */
  private static Path mvn() {
    String home = System.getProperty("maven.home");
    if (home != null && Files.isExecutable(Path.of(home, "bin", "mvn"))) {
      return Path.of(home, "bin", "mvn");
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, "mvn"))) {
        return Path.of(dir, "mvn");
      }
    }
    throw new AssertionError("no Maven found: neither maven.home nor mvn on the PATH");
  }
}
