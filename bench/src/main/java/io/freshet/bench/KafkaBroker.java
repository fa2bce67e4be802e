package io.freshet.bench;

import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The in-process KRaft broker of {@code io.freshet.testing.TestKafka}, loaded in a class loader of
 * its own.
 *
 * <p>The broker is written in Scala 2.13, while the pipeline benchmark's Flink Table planner brings
 * Scala 2.12 onto the same class path, and Maven keeps only one {@code scala-library}. So the
 * broker gets the class path without the Scala 2.12 jars, plus the Scala 2.13 jars the build copies
 * to {@code bench/target/kafka-scala}, under a loader whose parent is the platform loader: nothing
 * of it is shared with the benchmark but the bootstrap address.
 */
final class KafkaBroker {
  private static String bootstrap;
  private static URLClassLoader loader;

  private KafkaBroker() {}

  /** The bootstrap servers of the broker, starting it on first use. */
  static synchronized String bootstrapServers() {
    if (bootstrap != null) {
      return bootstrap;
    }
    Thread t = Thread.currentThread();
    ClassLoader previous = t.getContextClassLoader();
    try {
      loader =
          new URLClassLoader(
              "kafka-broker",
              classPath().toArray(URL[]::new),
              ClassLoader.getPlatformClassLoader());
      t.setContextClassLoader(loader);
      Class<?> kafka = loader.loadClass("io.freshet.testing.TestKafka");
      bootstrap = (String) kafka.getMethod("bootstrapServers").invoke(null);
      return bootstrap;
    } catch (ReflectiveOperationException | IOException e) {
      throw new IllegalStateException("could not start the in-process Kafka broker", e);
    } finally {
      t.setContextClassLoader(previous);
    }
  }

  static List<URL> classPath() throws IOException {
    List<URL> urls = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (entry.isBlank()) {
        continue;
      }
      String name = Path.of(entry).getFileName().toString();
      if (name.startsWith("scala-library-")
          || name.startsWith("scala-reflect-")
          || name.startsWith("scala-compiler-")
          || name.contains("_2.12")) {
        continue;
      }
      urls.add(Path.of(entry).toUri().toURL());
    }
    Path scala = scalaDir();
    try (Stream<Path> jars = Files.list(scala)) {
      for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
        urls.add(jar.toUri().toURL());
      }
    }
    return urls;
  }

  /** {@code target/kafka-scala} of the bench module, from the project root or the module. */
  static Path scalaDir() {
    String configured = System.getProperty("freshet.bench.kafkaScalaDir");
    List<Path> candidates =
        configured != null
            ? List.of(Path.of(configured))
            : List.of(Path.of("bench/target/kafka-scala"), Path.of("target/kafka-scala"));
    for (Path p : candidates) {
      if (Files.isDirectory(p)) {
        return p;
      }
    }
    throw new IllegalStateException(
        "Scala 2.13 jars for the Kafka broker not found in "
            + candidates
            + " (the build copies them there: mvn -Pbench -pl bench -am package)");
  }
}
