package io.freshet.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.Aggregation;
import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.Feature;
import io.freshet.dsl.FeatureDefinitions;
import io.freshet.dsl.FeatureView;
import io.freshet.dsl.KafkaJsonSource;
import io.freshet.dsl.SlidingWindow;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a definitions project's own test sees: its declared definitions, checked as apply does. */
class DeclaredDefinitionsTest {
  @TempDir Path project;

  /** A project's definitions: {@code page_clicks} over its own topic. */
  public static final class Clicks implements FeatureDefinitions {
    @Override
    public List<FeatureView> views() {
      return List.of(
          FeatureView.named("page_clicks")
              .source(
                  KafkaJsonSource.topic("page-clicks")
                      .keyedBy("page_id")
                      .eventTimeField("ts")
                      .withMaxOutOfOrderness(Duration.ofSeconds(30)))
              .feature(
                  Feature.named("clicks_10m")
                      .aggregate(Aggregation.count())
                      .over(SlidingWindow.of(Duration.ofMinutes(10), Duration.ofMinutes(1))))
              .ttl(Duration.ofHours(1))
              .build());
    }
  }

  /** Definitions the DSL rejects when they are built. */
  public static final class BadWindow implements FeatureDefinitions {
    @Override
    public List<FeatureView> views() {
      SlidingWindow.of(Duration.ofMinutes(45), Duration.ofMinutes(10));
      return List.of();
    }
  }

  @Test
  void sees_the_projects_definitions_and_not_the_bundled_examples() throws IOException {
    Catalog catalog = DeclaredDefinitions.check(projectLoader(Clicks.class.getName() + "\n"));

    // the examples are a module of their own, which a project does not depend on
    assertThat(catalog.plans()).extracting(ViewPlan::name).containsExactly("page_clicks");
  }

  @Test
  void a_class_path_without_a_service_file_says_what_to_add() {
    assertThatThrownBy(() -> DeclaredDefinitions.check(getClass().getClassLoader()))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "the class path has no META-INF/services/io.freshet.dsl.FeatureDefinitions (in a"
                + " Maven project:"
                + " src/main/resources/META-INF/services/io.freshet.dsl.FeatureDefinitions), so"
                + " Freshet cannot find its feature definitions: add that file, listing each class"
                + " that implements io.freshet.dsl.FeatureDefinitions on a line of its own (e.g."
                + " com.example.MyFeatures)");
  }

  @Test
  void the_dsls_message_for_an_invalid_definition_is_passed_on() throws IOException {
    ClassLoader loader = projectLoader(BadWindow.class.getName() + "\n");
    assertThatThrownBy(() -> DeclaredDefinitions.check(loader, "acme-features.jar"))
        .isInstanceOf(DefinitionException.class)
        .hasMessageStartingWith(
            "invalid feature definitions in acme-features.jar:\n"
                + "  window size 45m must be a multiple of slide 10m");
  }

  @Test
  void a_listed_class_that_does_not_exist_is_named() throws IOException {
    ClassLoader loader = projectLoader("com.acme.Missing\n");
    assertThatThrownBy(() -> DeclaredDefinitions.check(loader))
        .isInstanceOf(DefinitionException.class)
        .hasMessageContaining("Provider com.acme.Missing not found")
        .hasMessageEndingWith(
            "Each line must name a public class in the jar with a public no-argument constructor"
                + " that implements io.freshet.dsl.FeatureDefinitions");
  }

  @Test
  void a_service_file_listing_nothing_defines_no_views() throws IOException {
    ClassLoader loader = projectLoader("# views come later\n");
    assertThatThrownBy(() -> DeclaredDefinitions.check(loader))
        .isInstanceOf(DefinitionException.class)
        .hasMessage(
            "the class path defines no feature views:"
                + " META-INF/services/io.freshet.dsl.FeatureDefinitions lists no class, or its"
                + " classes return no views");
  }

  /** This test's class path plus a project's resources folder holding {@code serviceFile}. */
  private ClassLoader projectLoader(String serviceFile) throws IOException {
    Path file = project.resolve(DeclaredDefinitions.SERVICE_FILE);
    Files.createDirectories(file.getParent());
    Files.writeString(file, serviceFile);
    return new URLClassLoader(new URL[] {project.toUri().toURL()}, getClass().getClassLoader());
  }
}
