package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefinitionsCheckTest {
  @TempDir Path dir;

  @Test
  void a_job_jar_with_the_same_definition_classes_passes() throws IOException {
    Path dsl = jar("dsl.jar", Map.of("io/freshet/plan/ViewPlan.class", "v1"));
    Path job =
        jar(
            "job.jar",
            Map.of(
                "io/freshet/plan/ViewPlan.class", "v1", "io/freshet/flink/FeatureJob.class", "j"));
    assertThat(DefinitionsCheck.differingClasses(dsl, job)).isEmpty();
  }

  @Test
  void names_classes_that_differ_or_are_missing() throws IOException {
    Path dsl =
        jar(
            "dsl.jar",
            Map.of(
                "io/freshet/plan/ViewPlan.class", "v2",
                "io/freshet/plan/Catalog.class", "c",
                "META-INF/MANIFEST.MF", "x"));
    Path job = jar("job.jar", Map.of("io/freshet/plan/ViewPlan.class", "v1"));
    assertThat(DefinitionsCheck.differingClasses(dsl, job))
        .containsExactly("io/freshet/plan/Catalog.class", "io/freshet/plan/ViewPlan.class");
  }

  private Path jar(String name, Map<String, String> entries) throws IOException {
    Path p = dir.resolve(name);
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(p))) {
      for (var e : entries.entrySet()) {
        out.putNextEntry(new JarEntry(e.getKey()));
        out.write(e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return p;
  }
}
