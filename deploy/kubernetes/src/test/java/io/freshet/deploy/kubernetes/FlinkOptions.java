package io.freshet.deploy.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.DelegatingConfiguration;
import org.apache.flink.configuration.FallbackKey;

/**
 * Flink's own definition of its configuration, read from the {@code *Options} classes of the
 * flink-core jar the build uses: which keys exist, which are deprecated (and by what replaced), and
 * what type each value must parse to. A flinkConfiguration key that is misspelt, removed in Flink 2
 * or given a value Flink cannot parse is found here instead of in a JobManager log.
 *
 * <p>Only flink-core's options are known. Keys of the filesystem plugins and of the operator (see
 * {@link #UNCHECKED_PREFIXES}) pass unchecked; other keys of other modules (e.g. {@code
 * kubernetes.*}, which the operator sets itself) are reported as unknown. Reporter keys ({@code
 * metrics.reporter.<name>.*}) are checked against the reporter options plus the few a known
 * reporter adds.
 */
final class FlinkOptions {
  private static final Pattern OPTIONS_CLASS =
      Pattern.compile("org/apache/flink/configuration/[A-Za-z]+Options\\.class");
  private static final Pattern NAMESPACED = Pattern.compile("(metrics|traces|events)\\.");
  private static final Pattern REPORTER_KEY =
      Pattern.compile("(metrics|traces|events)\\.reporter\\.([^.]+)\\.(.+)");

  /**
   * Keys Flink core does not define but a plugin or the operator reads: accepted as they are.
   * Filesystem plugins take s3.*, presto.s3.*, fs.s3a.*, gs.*, fs.azure.*; the operator reads
   * kubernetes.operator.* and job.autoscaler.* from the same map.
   */
  static final List<String> UNCHECKED_PREFIXES =
      List.of(
          "s3.",
          "presto.s3.",
          "fs.s3a.",
          "gs.",
          "fs.azure.",
          "kubernetes.operator.",
          "job.autoscaler.");

  /** Keys a reporter factory reads beyond the common reporter options, by factory class. */
  private static final Map<String, Set<String>> REPORTER_OWN_KEYS =
      Map.of(
          "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
          Set.of("port", "filterLabelValueCharacters"));

  /** The classes whose options include those of a single reporter, keyed without a prefix. */
  private static final Set<String> REPORTER_HOLDERS =
      Set.of("MetricOptions", "TraceOptions", "EventOptions");

  private final Map<String, ConfigOption<?>> current = new TreeMap<>();
  private final Map<String, String> deprecated = new HashMap<>();
  private final Map<String, ConfigOption<?>> reporterOptions = new TreeMap<>();

  private FlinkOptions() {}

  /** Every option of the flink-core jar on the classpath. */
  static FlinkOptions load() {
    FlinkOptions options = new FlinkOptions();
    for (Class<?> holder : optionClasses()) {
      for (Field field : holder.getFields()) {
        if (!Modifier.isStatic(field.getModifiers())
            || !ConfigOption.class.isAssignableFrom(field.getType())) {
          continue;
        }
        ConfigOption<?> option;
        try {
          option = (ConfigOption<?>) field.get(null);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(holder.getName() + "." + field.getName(), e);
        }
        options.add(holder, option, field.isAnnotationPresent(Deprecated.class));
      }
    }
    return options;
  }

  private void add(Class<?> holder, ConfigOption<?> option, boolean deprecatedOption) {
    String key = option.key();
    if (REPORTER_HOLDERS.contains(holder.getSimpleName()) && !NAMESPACED.matcher(key).lookingAt()) {
      // Keys under metrics.reporter.<name>. (factory.class, interval, scope.delimiter...).
      reporterOptions.put(key, option);
      return;
    }
    if (deprecatedOption) {
      deprecated.putIfAbsent(key, "deprecated in this Flink version (see its configuration docs)");
    } else {
      current.put(key, option);
      deprecated.remove(key);
    }
    for (FallbackKey fallback : option.fallbackKeys()) {
      if (!fallback.isDeprecated()) {
        current.put(fallback.getKey(), option);
      } else if (!current.containsKey(fallback.getKey())) {
        deprecated.put(fallback.getKey(), "deprecated: use " + key);
      }
    }
  }

  /**
   * Problems of a flinkConfiguration: unknown or deprecated keys, values that do not parse.
   * Messages name the key and what to use instead.
   */
  List<String> check(Map<String, String> configuration) {
    List<String> problems = new ArrayList<>();
    Configuration parsed = Configuration.fromMap(configuration);
    for (Map.Entry<String, String> entry : new TreeMap<>(configuration).entrySet()) {
      String key = entry.getKey();
      if (UNCHECKED_PREFIXES.stream().anyMatch(key::startsWith)) {
        continue;
      }
      var reporter = REPORTER_KEY.matcher(key);
      if (reporter.matches()) {
        checkReporterKey(
            reporter.group(1) + ".reporter." + reporter.group(2) + ".",
            reporter.group(3),
            configuration,
            problems);
      } else if (current.containsKey(key)) {
        parse(parsed, current.get(key), key, problems);
      } else if (deprecated.containsKey(key)) {
        problems.add(key + ": " + deprecated.get(key));
      } else {
        problems.add(
            key
                + ": not a Flink configuration key"
                + Suggestions.didYouMean(key, current.keySet()));
      }
    }
    return problems;
  }

  private void checkReporterKey(
      String prefix, String suffix, Map<String, String> configuration, List<String> problems) {
    String factory = configuration.getOrDefault(prefix + "factory.class", "");
    if (reporterOptions.containsKey(suffix)) {
      Configuration scoped =
          new DelegatingConfiguration(Configuration.fromMap(configuration), prefix);
      parse(scoped, reporterOptions.get(suffix), prefix + suffix, problems);
    } else if (!REPORTER_OWN_KEYS.getOrDefault(factory, Set.of()).contains(suffix)) {
      problems.add(
          prefix
              + suffix
              + ": not an option of reporters"
              + (factory.isEmpty() ? "" : " or of " + factory)
              + Suggestions.didYouMean(suffix, reporterOptions.keySet()));
    }
  }

  private static void parse(
      Configuration configuration, ConfigOption<?> option, String key, List<String> problems) {
    try {
      configuration.get(option);
    } catch (RuntimeException e) {
      problems.add(key + ": " + e.getMessage());
    }
  }

  private static List<Class<?>> optionClasses() {
    Path jar;
    try {
      jar = Path.of(CoreOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("where is flink-core?", e);
    }
    List<Class<?>> classes = new ArrayList<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements(); ) {
        String name = entries.nextElement().getName();
        if (OPTIONS_CLASS.matcher(name).matches()) {
          String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
          try {
            classes.add(Class.forName(className, true, FlinkOptions.class.getClassLoader()));
          } catch (ClassNotFoundException | LinkageError e) {
            // An options class needing a module the build does not have: its keys stay unknown.
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + jar, e);
    }
    return classes;
  }
}
