package io.freshet.deploy.init;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.lang.model.SourceVersion;

/**
 * The Maven project {@code freshet init} writes: one sample view over its own topic, its service
 * file, a test that runs the checks of {@code freshet apply}, and a README of the next commands.
 * The plugin, JUnit and DSL versions come from {@value #VERSIONS}, which the build fills from
 * Freshet's parent pom, so a new project builds with what Freshet builds with.
 */
public final class ProjectTemplate {
  /** The versions the build wrote (Maven resource filtering). */
  static final String VERSIONS = "/io/freshet/deploy/init/versions.properties";

  private static final String TEMPLATES = "/io/freshet/deploy/init/template/";
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Za-z0-9.-]+)}}");
  private static final Pattern MAVEN_ID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

  /** What the project is called: its Java package and Maven coordinates. */
  public record Coordinates(String javaPackage, String groupId, String artifactId) {
    public Coordinates {
      if (!SourceVersion.isName(javaPackage) || javaPackage.startsWith("java.")) {
        throw new IllegalArgumentException(
            "--package '"
                + javaPackage
                + "' is not a Java package name (dot-separated identifiers that are not keywords,"
                + " e.g. com.acme.features)");
      }
      requireMavenId("--group-id", groupId);
      requireMavenId("--artifact-id", artifactId);
    }

    private static void requireMavenId(String flag, String id) {
      if (id == null || !MAVEN_ID.matcher(id).matches()) {
        throw new IllegalArgumentException(
            flag
                + " '"
                + id
                + "' is not a Maven id (letters, digits, '.', '_' and '-', e.g. acme-features)");
      }
    }
  }

  private ProjectTemplate() {}

  /**
   * The artifact id a folder name suggests: lower case, runs of other characters as one '-'; {@code
   * "features"} when nothing is left.
   */
  public static String artifactIdFor(Path dir) {
    Path name = dir.toAbsolutePath().normalize().getFileName();
    String id =
        name == null
            ? ""
            : name.toString()
                .toLowerCase(java.util.Locale.ROOT)
                .replaceAll("[^a-z0-9_.]+", "-")
                .replaceAll("^[-.]+|[-.]+$", "");
    return id.isEmpty() ? "features" : id;
  }

  /** The versions a new project pins, by name (e.g. {@code maven-compiler-plugin.version}). */
  public static Map<String, String> versions() {
    Properties p = new Properties();
    try (InputStream in = ProjectTemplate.class.getResourceAsStream(VERSIONS)) {
      if (in == null) {
        throw new IllegalStateException(VERSIONS + " is missing from the freshet command's jar");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + VERSIONS, e);
    }
    Map<String, String> versions = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames().stream().sorted().toList()) {
      String v = p.getProperty(k).strip();
      if (v.isEmpty() || v.contains("${")) {
        throw new IllegalStateException(
            VERSIONS
                + " holds '"
                + k
                + "="
                + v
                + "': the freshet command was built without Maven's resource filtering; rebuild it"
                + " with deploy/bin/freshet --rebuild");
      }
      versions.put(k, v);
    }
    return versions;
  }

  /**
   * Writes the project into {@code dir}, which must be missing or empty; the files written,
   * relative to {@code dir}, in the order written.
   *
   * @throws IllegalArgumentException when {@code dir} is a file or a folder that is not empty
   */
  public static List<Path> write(Path dir, Coordinates coordinates) {
    requireEmpty(dir);
    Map<String, String> values = new LinkedHashMap<>(versions());
    values.put("package", coordinates.javaPackage());
    values.put("packagePath", coordinates.javaPackage().replace('.', '/'));
    values.put("groupId", coordinates.groupId());
    values.put("artifactId", coordinates.artifactId());

    String sources = "src/main/java/" + values.get("packagePath") + "/";
    String tests = "src/test/java/" + values.get("packagePath") + "/";
    Map<String, String> files = new LinkedHashMap<>();
    files.put("pom.xml", "pom.xml");
    files.put("README.md", "README.md");
    files.put(".gitignore", "gitignore");
    files.put(sources + "PageClickFeatures.java", "FeatureDefinitions.java");
    files.put("src/main/resources/META-INF/services/io.freshet.dsl.FeatureDefinitions", "services");
    files.put(tests + "PageClickFeaturesTest.java", "FeatureDefinitionsTest.java");
    files.put("sample-events.sh", "sample-events.sh");

    List<Path> written = new ArrayList<>();
    try {
      for (Map.Entry<String, String> f : files.entrySet()) {
        Path target = dir.resolve(f.getKey());
        Files.createDirectories(target.getParent());
        Files.writeString(target, fill(template(f.getValue()), values, f.getValue()));
        if (f.getKey().endsWith(".sh")) {
          makeExecutable(target);
        }
        written.add(dir.relativize(target));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the project into " + dir, e);
    }
    return written;
  }

  private static void requireEmpty(Path dir) {
    if (Files.isRegularFile(dir)) {
      throw new IllegalArgumentException(
          dir + " is a file: name a new folder (or an empty one) for the project");
    }
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      List<String> names = entries.map(p -> p.getFileName().toString()).sorted().toList();
      if (!names.isEmpty()) {
        throw new IllegalArgumentException(
            dir
                + " is not empty (it holds "
                + String.join(", ", names.subList(0, Math.min(3, names.size())))
                + (names.size() > 3 ? " and " + (names.size() - 3) + " more" : "")
                + "): freshet init writes a new project only into a new or empty folder, so that"
                + " it overwrites nothing; name another folder");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not list " + dir, e);
    }
  }

  private static String template(String name) throws IOException {
    try (InputStream in = ProjectTemplate.class.getResourceAsStream(TEMPLATES + name)) {
      if (in == null) {
        throw new IllegalStateException(
            "template " + name + " is missing from the freshet command's jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * The template with every {@code {{name}}} replaced; an unknown name is a bug in the template.
   */
  static String fill(String template, Map<String, String> values, String templateName) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalStateException(
            "template " + templateName + " uses {{" + m.group(1) + "}}, which has no value");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  private static void makeExecutable(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (UnsupportedOperationException e) {
      file.toFile().setExecutable(true); // not a POSIX file system: best effort
    }
  }
}
