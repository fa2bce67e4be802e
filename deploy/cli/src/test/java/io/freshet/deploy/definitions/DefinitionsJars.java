package io.freshet.deploy.definitions;

import io.freshet.dsl.FeatureDefinitions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Definitions jars as a user's build makes them: Java sources compiled against the DSL at test
 * time, packed with a service file.
 */
public final class DefinitionsJars {
  private DefinitionsJars() {}

  /** A view {@code page_clicks} over topic {@code clicks}, keyed by {@code page_id}. */
  public static final String CLICKS_CLASS = "com.example.clicks.ClickFeatures";

  public static final String CLICKS_SOURCE =
      """
      package com.example.clicks;

      import io.freshet.dsl.Aggregation;
      import io.freshet.dsl.Feature;
      import io.freshet.dsl.FeatureDefinitions;
      import io.freshet.dsl.FeatureView;
      import io.freshet.dsl.KafkaJsonSource;
      import io.freshet.dsl.SlidingWindow;
      import java.time.Duration;
      import java.util.List;

      public final class ClickFeatures implements FeatureDefinitions {
        @Override
        public List<FeatureView> views() {
          SlidingWindow w = SlidingWindow.of(Duration.ofMinutes(30), Duration.ofMinutes(5));
          KafkaJsonSource clicks =
              KafkaJsonSource.topic("clicks")
                  .keyedBy("page_id")
                  .eventTimeField("ts")
                  .withMaxOutOfOrderness(Duration.ofMinutes(1));
          return List.of(
              FeatureView.named("page_clicks")
                  .source(clicks)
                  .feature(Feature.named("clicks_30m").aggregate(Aggregation.count()).over(w))
                  .ttl(Duration.ofHours(1))
                  .build());
        }
      }
      """;

  /**
   * {@code user_activity} with another meaning than the bundled one: the same source, only an event
   * count.
   */
  public static final String COUNT_ONLY_CLASS = "com.example.count.CountOnly";

  public static final String COUNT_ONLY_SOURCE =
      """
      package com.example.count;

      import io.freshet.dsl.Aggregation;
      import io.freshet.dsl.Feature;
      import io.freshet.dsl.FeatureDefinitions;
      import io.freshet.dsl.FeatureView;
      import io.freshet.dsl.KafkaJsonSource;
      import io.freshet.dsl.SlidingWindow;
      import java.time.Duration;
      import java.util.List;

      public final class CountOnly implements FeatureDefinitions {
        @Override
        public List<FeatureView> views() {
          SlidingWindow hour = SlidingWindow.of(Duration.ofHours(1), Duration.ofMinutes(15));
          KafkaJsonSource events =
              KafkaJsonSource.topic("user-events")
                  .keyedBy("user_id")
                  .eventTimeField("event_ts")
                  .withMaxOutOfOrderness(Duration.ofMinutes(10));
          return List.of(
              FeatureView.named("user_activity")
                  .source(events)
                  .feature(Feature.named("event_count_1h").aggregate(Aggregation.count()).over(hour))
                  .ttl(Duration.ofHours(2))
                  .build());
        }
      }
      """;

  /** Definitions the DSL rejects: a 45 minute window sliding every 10 minutes. */
  public static final String BAD_WINDOW_CLASS = "com.example.bad.BadWindow";

  public static final String BAD_WINDOW_SOURCE =
      """
      package com.example.bad;

      import io.freshet.dsl.FeatureDefinitions;
      import io.freshet.dsl.FeatureView;
      import io.freshet.dsl.SlidingWindow;
      import java.time.Duration;
      import java.util.List;

      public final class BadWindow implements FeatureDefinitions {
        @Override
        public List<FeatureView> views() {
          SlidingWindow.of(Duration.ofMinutes(45), Duration.ofMinutes(10));
          return List.of();
        }
      }
      """;

  /**
   * Compiles {@code sources} (class name to source) against the DSL and writes them to {@code jar}
   * with {@code serviceFile} as {@code META-INF/services/io.freshet.dsl.FeatureDefinitions} (null:
   * none).
   */
  public static Path build(
      Path dir, String jarName, Map<String, String> sources, String serviceFile)
      throws IOException {
    Path src = Files.createDirectories(dir.resolve(jarName + "-src"));
    Path classes = Files.createDirectories(dir.resolve(jarName + "-classes"));
    List<String> args =
        new ArrayList<>(List.of("-d", classes.toString(), "-cp", dslLocation(), "--release", "17"));
    for (Map.Entry<String, String> e : sources.entrySet()) {
      Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
      Files.createDirectories(file.getParent());
      Files.writeString(file, e.getValue());
      args.add(file.toString());
    }
    if (!sources.isEmpty()) {
      JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
      ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
      int rc =
          javac.run(
              null, OutputStream.nullOutputStream(), diagnostics, args.toArray(String[]::new));
      if (rc != 0) {
        throw new IllegalStateException(
            "test definitions do not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8));
      }
    }
    Path jar = dir.resolve(jarName);
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
        out.write(Files.readAllBytes(f));
        out.closeEntry();
      }
      if (serviceFile != null) {
        out.putNextEntry(new JarEntry(Definitions.SERVICE_FILE));
        out.write(serviceFile.getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return jar;
  }

  private static String dslLocation() {
    try {
      return Path.of(
              FeatureDefinitions.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
