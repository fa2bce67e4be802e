package io.freshet.deploy.definitions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.plan.ViewPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefinitionsTest {
  @TempDir Path dir;

  @Test
  void the_bundled_examples_are_the_default() {
    Definitions d = Definitions.load(null);
    assertThat(d.jar()).isNull();
    assertThat(d.describe()).isEqualTo("the bundled examples");
    assertThat(d.catalog().plans())
        .extracting(ViewPlan::name)
        .containsExactly("user_activity", "user_activity_live", "user_lifetime", "user_profile");
  }

  @Test
  void a_users_jar_replaces_the_examples() throws IOException {
    Path jar = clicksJar();
    Definitions d = Definitions.fromJar(jar);
    assertThat(d.catalog().plans()).extracting(ViewPlan::name).containsExactly("page_clicks");
    assertThat(d.describe()).isEqualTo("clicks.jar");
    assertThat(d.plans(List.of("page_clicks")).get(0).source().topic()).isEqualTo("clicks");
  }

  @Test
  void an_unknown_view_names_the_known_ones() throws IOException {
    Definitions d = Definitions.fromJar(clicksJar());
    assertThatThrownBy(() -> d.plans(List.of("user_activity")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown feature view 'user_activity': clicks.jar define [page_clicks]");
  }

  @Test
  void a_missing_jar_is_named() {
    Path missing = dir.resolve("nope.jar");
    assertThatThrownBy(() -> Definitions.fromJar(missing))
        .isInstanceOf(InvalidDefinitionsException.class)
        .hasMessage(
            "--definitions "
                + missing
                + ": there is no such file (name the jar with your definitions)");
  }

  @Test
  void a_jar_without_the_service_file_says_what_to_add() throws IOException {
    Path jar =
        DefinitionsJars.build(
            dir,
            "noservice.jar",
            Map.of(DefinitionsJars.CLICKS_CLASS, DefinitionsJars.CLICKS_SOURCE),
            null);
    assertThatThrownBy(() -> Definitions.fromJar(jar))
        .isInstanceOf(InvalidDefinitionsException.class)
        .hasMessage(
            "the definitions jar "
                + jar
                + " has no META-INF/services/io.freshet.dsl.FeatureDefinitions, so Freshet cannot"
                + " find its feature definitions: add that file to the jar, listing each class"
                + " that implements io.freshet.dsl.FeatureDefinitions on a line of its own (e.g."
                + " com.example.MyFeatures)");
  }

  @Test
  void a_service_file_naming_a_missing_class_names_it() throws IOException {
    Path jar = DefinitionsJars.build(dir, "broken.jar", Map.of(), "com.example.Missing\n");
    assertThatThrownBy(() -> Definitions.fromJar(jar))
        .isInstanceOf(InvalidDefinitionsException.class)
        .hasMessageStartingWith(
            "the definitions jar "
                + jar
                + ": META-INF/services/io.freshet.dsl.FeatureDefinitions names a class that"
                + " cannot be used: io.freshet.dsl.FeatureDefinitions: Provider"
                + " com.example.Missing not found")
        .hasMessageEndingWith(
            "Each line must name a public class in the jar with a public no-argument constructor"
                + " that implements io.freshet.dsl.FeatureDefinitions");
  }

  @Test
  void an_empty_service_file_is_refused() throws IOException {
    Path jar = DefinitionsJars.build(dir, "empty.jar", Map.of(), "# nothing yet\n");
    assertThatThrownBy(() -> Definitions.fromJar(jar))
        .hasMessageContaining("META-INF/services/io.freshet.dsl.FeatureDefinitions lists no class");
  }

  @Test
  void a_file_that_is_not_a_jar_is_refused() throws IOException {
    Path notJar = Files.writeString(dir.resolve("defs.jar"), "not a zip");
    assertThatThrownBy(() -> Definitions.fromJar(notJar))
        .isInstanceOf(InvalidDefinitionsException.class)
        .hasMessageStartingWith("the definitions jar " + notJar + " is not a jar file");
  }

  @Test
  void the_dsls_own_message_reaches_the_user_unchanged() throws IOException {
    Path jar =
        DefinitionsJars.build(
            dir,
            "bad.jar",
            Map.of(DefinitionsJars.BAD_WINDOW_CLASS, DefinitionsJars.BAD_WINDOW_SOURCE),
            DefinitionsJars.BAD_WINDOW_CLASS + "\n");
    assertThatThrownBy(() -> Definitions.fromJar(jar))
        .isInstanceOf(InvalidDefinitionsException.class)
        .hasMessageStartingWith(
            "invalid feature definitions in the definitions jar "
                + jar
                + ":\n  window size 45m must be a multiple of slide 10m");
  }

  @Test
  void the_job_jar_for_a_users_jar_carries_its_definitions_and_only_those() throws IOException {
    Path jobJar = dir.resolve("job.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "io.freshet.flink.FeatureJob");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jobJar), manifest)) {
      entry(out, "io/freshet/flink/FeatureJob.class", "job");
      entry(out, Definitions.SERVICE_FILE, "io.freshet.examples.ExampleDefinitions\n");
    }
    Path userJar = clicksJar();

    Path merged = Definitions.fromJar(userJar).jobJar(jobJar, dir.resolve("out"));

    assertThat(merged.getFileName().toString()).isEqualTo("freshet-job-with-clicks.jar");
    try (JarFile jar = new JarFile(merged.toFile())) {
      assertThat(text(jar, Definitions.SERVICE_FILE))
          .isEqualTo(DefinitionsJars.CLICKS_CLASS + "\n");
      assertThat(text(jar, "io/freshet/flink/FeatureJob.class")).isEqualTo("job");
      assertThat(jar.getEntry("com/example/clicks/ClickFeatures.class")).isNotNull();
      assertThat(jar.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS))
          .isEqualTo("io.freshet.flink.FeatureJob");
    }
    assertThat(Definitions.bundled().jobJar(jobJar, dir.resolve("out2"))).isEqualTo(jobJar);
  }

  private Path clicksJar() throws IOException {
    return DefinitionsJars.build(
        dir,
        "clicks.jar",
        Map.of(DefinitionsJars.CLICKS_CLASS, DefinitionsJars.CLICKS_SOURCE),
        DefinitionsJars.CLICKS_CLASS + "\n");
  }

  private static void entry(JarOutputStream out, String name, String content) throws IOException {
    out.putNextEntry(new JarEntry(name));
    out.write(content.getBytes(StandardCharsets.UTF_8));
    out.closeEntry();
  }

  private static String text(JarFile jar, String name) throws IOException {
    try (var in = jar.getInputStream(jar.getEntry(name))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
