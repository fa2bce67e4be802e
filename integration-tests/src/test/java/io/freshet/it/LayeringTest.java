package io.freshet.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of the house, held: the DSL at the bottom, the aggregation code beside the stores
 * above it (both free of Flink, so the gateway and training sets merge tiles with the job's own
 * code), the engines above them, the {@code freshet} command on top; nothing imports upward,
 * engines do not import each other, and only the store modules touch Redis and JDBC. Reads the main
 * classes of every module of the build (tests, test support and the benchmarks aside).
 */
class LayeringTest {
  private static final String[] DSL = {
    "io.freshet.dsl..", "io.freshet.plan..", "io.freshet.storage.."
  };
  private static final String[] ENGINES = {
    "io.freshet.flink..",
    "io.freshet.gateway..",
    "io.freshet.training..",
    "io.freshet.maintenance.."
  };

  private static JavaClasses house;

  @BeforeAll
  static void importMainClasses() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<Path> modules;
    try (Stream<Path> found = Files.walk(root, 4)) {
      modules =
          found
              .filter(p -> p.endsWith(Path.of("target", "classes")))
              .filter(p -> !p.startsWith(root.resolve("bench")))
              .filter(p -> !p.startsWith(root.resolve("integration-tests")))
              .filter(p -> !p.startsWith(root.resolve("test-support")))
              .toList();
    }
    assertThat(modules)
        .as("compiled modules under %s", root)
        .contains(
            Stream.of(
                    "feature-dsl",
                    "aggregation",
                    "registry",
                    "flink-jobs",
                    "serving-gateway",
                    "training",
                    "maintenance",
                    "deploy/cli")
                .map(m -> root.resolve(m).resolve("target/classes"))
                .toArray(Path[]::new));
    house = new ClassFileImporter().importPaths(modules);
    assertThat(house.containPackage("io.freshet.dsl")).as("the DSL's classes were read").isTrue();
  }

  @Test
  void the_dsl_imports_nothing_of_flink_redis_jdbc_or_http() {
    noClasses()
        .that()
        .resideInAnyPackage(DSL)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.flink..",
            "io.lettuce..",
            "java.sql..",
            "javax.sql..",
            "org.postgresql..",
            "org.flywaydb..",
            "java.net.http..",
            "com.sun.net.httpserver..",
            "io.netty..",
            "io.vertx..")
        .check(house);
  }

  @Test
  void the_aggregation_code_imports_nothing_of_flink_stores_or_http() {
    noClasses()
        .that()
        .resideInAnyPackage("io.freshet.aggregate..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.flink..",
            "io.lettuce..",
            "java.sql..",
            "org.postgresql..",
            "io.vertx..",
            "io.freshet.online..",
            "io.freshet.offline..")
        .check(house);
  }

  @Test
  void only_the_online_store_touches_redis() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.freshet.online..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.lettuce..")
        .check(house);
  }

  /**
   * JDBC belongs to the offline store and the registry. Beside them: the adapters to
   * flink-connector-jdbc, whose API is typed in {@code java.sql} (a {@code ResultExtractor} reads a
   * {@code ResultSet}, a statement builder fills a {@code PreparedStatement}); and, named one by
   * one as debt to move into the offline store, the demo's filler of its example table and the
   * backfill command's check of a Postgres event source.
   */
  @Test
  void only_the_offline_store_and_the_registry_touch_jdbc() {
    noClasses()
        .that()
        .resideOutsideOfPackages(
            "io.freshet.offline..",
            "io.freshet.registry..",
            "io.freshet.flink.materialize..",
            "io.freshet.flink.source..",
            "io.freshet.flink.sink.rejected..")
        .and()
        .doNotHaveFullyQualifiedName("io.freshet.flink.compile.BackfillCompiler")
        .and()
        .doNotHaveFullyQualifiedName("io.freshet.deploy.cli.DemoProfiles")
        .and()
        .doNotHaveFullyQualifiedName("io.freshet.deploy.cli.BackfillCommand")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("java.sql..", "javax.sql..", "org.postgresql..", "org.flywaydb..")
        .check(house);
  }

  @Test
  void nothing_imports_upward() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("DSL")
        .definedBy(DSL)
        .layer("Examples")
        .definedBy("io.freshet.examples..")
        .layer("Aggregation")
        .definedBy("io.freshet.aggregate..")
        .layer("Stores")
        .definedBy("io.freshet.online..", "io.freshet.offline..", "io.freshet.registry..")
        .layer("Engines")
        .definedBy(ENGINES)
        .layer("Command")
        .definedBy("io.freshet.deploy..")
        .whereLayer("Command")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("Engines")
        .mayOnlyBeAccessedByLayers("Command")
        .whereLayer("Stores")
        .mayOnlyBeAccessedByLayers("Engines", "Command")
        .whereLayer("Aggregation")
        .mayOnlyBeAccessedByLayers("Engines", "Command")
        .whereLayer("Examples")
        .mayOnlyBeAccessedByLayers("Command")
        .check(house);
  }

  @Test
  void engines_do_not_import_each_other() {
    slices()
        .matching("io.freshet.(flink|gateway|training|maintenance)..")
        .should()
        .notDependOnEachOther()
        .check(house);
  }
}
