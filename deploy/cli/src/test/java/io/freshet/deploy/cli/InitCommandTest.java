package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.dsl.FeatureDefinitions;
import io.freshet.plan.Catalog;
import io.freshet.plan.DeclaredDefinitions;
import io.freshet.plan.FeaturePart;
import io.freshet.plan.ViewPlan;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * {@code freshet init}: the project it writes compiles against the DSL, its own test passes, its
 * jar is what {@code freshet apply} accepts, and its pom pins the plugin versions of Freshet's
 * parent pom.
 */
class InitCommandTest {
  @TempDir Path work;

  @Test
  void writes_a_project_with_one_view_over_its_own_topic() throws Exception {
    Path project = work.resolve("acme-features");
    Cli.Result r = Cli.run("init", project.toString(), "--package", "com.acme.features");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("freshet apply --definitions target/acme-features-1.0.jar")
        .contains(
            "freshet submit --definitions target/acme-features-1.0.jar --views page_clicks"
                + " --create-topics");

    assertThat(files(project))
        .containsExactlyInAnyOrder(
            ".gitignore",
            "README.md",
            "pom.xml",
            "sample-events.sh",
            "src/main/java/com/acme/features/PageClickFeatures.java",
            "src/main/resources/META-INF/services/io.freshet.dsl.FeatureDefinitions",
            "src/test/java/com/acme/features/PageClickFeaturesTest.java");
    assertThat(
            Files.readString(
                project.resolve("src/main/resources/" + DeclaredDefinitions.SERVICE_FILE)))
        .isEqualTo("com.acme.features.PageClickFeatures\n");
    assertThat(Files.isExecutable(project.resolve("sample-events.sh"))).isTrue();
    String readme = Files.readString(project.resolve("README.md"));
    assertThat(readme)
        .contains("mvn package")
        .contains("freshet apply --definitions target/acme-features-1.0.jar")
        .contains("--create-topics")
        .contains("freshet produce --view page_clicks")
        .contains("curl http://localhost:8080/features/page_clicks/home")
        .doesNotContain("{{");

    // compiled against the DSL as Maven would, the project's own test passes
    Path classes = compile(project, "src/main/java", work.resolve("classes"), List.of());
    Path testClasses =
        compile(project, "src/test/java", work.resolve("test-classes"), List.of(classes));
    try (URLClassLoader loader =
        new URLClassLoader(
            new URL[] {
              testClasses.toUri().toURL(),
              classes.toUri().toURL(),
              project.resolve("src/main/resources").toUri().toURL()
            },
            withoutExamples(getClass().getClassLoader()))) {
      Class<?> test = loader.loadClass("com.acme.features.PageClickFeaturesTest");
      List<String> ran = new ArrayList<>();
      Object instance = construct(test);
      for (Method m : test.getDeclaredMethods()) {
        if (m.isAnnotationPresent(Test.class)) {
          m.setAccessible(true);
          m.invoke(instance);
          ran.add(m.getName());
        }
      }
      assertThat(ran).hasSize(2);

      Catalog catalog = DeclaredDefinitions.check(loader);
      ViewPlan plan = catalog.plan("page_clicks");
      assertThat(plan.source().topic()).isEqualTo("page-clicks");
      assertThat(plan.parts())
          .extracting(FeaturePart::name)
          .containsExactly("views_10m", "clicks_10m", "visitors_10m", "click_through_rate_10m");
    }

    // the jar mvn package makes is what freshet apply loads
    Path jar = jar(classes, project.resolve("src/main/resources"), work.resolve("acme.jar"));
    assertThat(Definitions.fromJar(jar).catalog().plans())
        .extracting(ViewPlan::name)
        .containsExactly("page_clicks");
  }

  @Test
  void the_pom_pins_the_versions_of_freshets_parent_pom() throws Exception {
    Path project = work.resolve("p");
    assertThat(Cli.run("init", project.toString(), "--group-id", "com.acme").exitCode()).isZero();

    Document parent = xml(Path.of("../../pom.xml"));
    Map<String, String> parentProps = properties(parent);
    Document pom = xml(project.resolve("pom.xml"));
    Map<String, String> props = properties(pom);

    assertThat(text(pom.getDocumentElement(), "groupId")).isEqualTo("com.acme");
    assertThat(text(pom.getDocumentElement(), "artifactId")).isEqualTo("p");
    assertThat(props.get("freshet.version"))
        .isEqualTo(text(parent.getDocumentElement(), "version"));
    assertThat(props.get("maven.compiler.release")).isEqualTo("17");
    assertThat(props.get("junit.version")).isEqualTo(parentProps.get("junit.version"));

    Map<String, String> plugins = pluginVersions(pom);
    Map<String, String> parentPlugins = pluginVersions(parent);
    assertThat(plugins)
        .containsOnlyKeys(
            "maven-clean-plugin",
            "maven-resources-plugin",
            "maven-compiler-plugin",
            "maven-surefire-plugin",
            "maven-jar-plugin",
            "maven-install-plugin");
    assertThat(plugins.get("maven-compiler-plugin")).isEqualTo("3.13.0");
    plugins.forEach(
        (plugin, version) ->
            assertThat(version)
                .as(plugin)
                .isEqualTo(resolve(parentPlugins.get(plugin), parentProps)));

    Element dsl = dependency(pom, "feature-dsl");
    assertThat(text(dsl, "groupId")).isEqualTo("io.freshet");
    assertThat(text(dsl, "scope")).isEqualTo("provided");
    assertThat(text(dependency(pom, "junit-jupiter"), "scope")).isEqualTo("test");
  }

  @Test
  void refuses_a_folder_that_is_not_empty_and_leaves_it_alone() throws Exception {
    Path project = Files.createDirectories(work.resolve("busy"));
    Files.writeString(project.resolve("pom.xml"), "mine");

    Cli.Result r = Cli.run("init", project.toString());

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet init: "
                + project
                + " is not empty (it holds pom.xml): freshet init writes a new project only into"
                + " a new or empty folder, so that it overwrites nothing; name another folder");
    assertThat(files(project)).containsExactly("pom.xml");
    assertThat(Files.readString(project.resolve("pom.xml"))).isEqualTo("mine");
  }

  @Test
  void refuses_a_package_that_java_cannot_use() {
    Cli.Result r = Cli.run("init", work.resolve("x").toString(), "--package", "com.acme.new");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "freshet init: --package 'com.acme.new' is not a Java package name (dot-separated"
                + " identifiers that are not keywords, e.g. com.acme.features)");
    assertThat(Files.exists(work.resolve("x"))).isFalse();
  }

  private static List<String> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString().replace('\\', '/'))
          .toList();
    }
  }

  private static Path compile(Path project, String sourceDir, Path out, List<Path> extra)
      throws Exception {
    Files.createDirectories(out);
    List<String> cp =
        new ArrayList<>(List.of(location(FeatureDefinitions.class), location(Test.class)));
    extra.forEach(p -> cp.add(p.toString()));
    List<String> args =
        new ArrayList<>(
            List.of(
                "-d",
                out.toString(),
                "--release",
                "17",
                "-cp",
                String.join(java.io.File.pathSeparator, cp)));
    try (Stream<Path> s = Files.walk(project.resolve(sourceDir))) {
      s.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
    }
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc =
        ToolProvider.getSystemJavaCompiler()
            .run(null, OutputStream.nullOutputStream(), diagnostics, args.toArray(String[]::new));
    assertThat(rc).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();
    return out;
  }

  private static String location(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }

  private static Object construct(Class<?> c) throws Exception {
    var ctor = c.getDeclaredConstructor();
    ctor.setAccessible(true);
    return ctor.newInstance();
  }

  /** A jar of the classes and resources, as maven-jar-plugin packs them. */
  private static Path jar(Path classes, Path resources, Path jar) throws Exception {
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (Path root : List.of(classes, resources)) {
        try (Stream<Path> s = Files.walk(root)) {
          for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
            out.putNextEntry(new JarEntry(root.relativize(f).toString().replace('\\', '/')));
            out.write(Files.readAllBytes(f));
            out.closeEntry();
          }
        }
      }
    }
    return jar;
  }

  private static Document xml(Path file) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
  }

  private static Map<String, String> properties(Document pom) {
    Map<String, String> props = new LinkedHashMap<>();
    Element properties = child(pom.getDocumentElement(), "properties");
    NodeList nodes = properties.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      if (nodes.item(i) instanceof Element e) {
        props.put(e.getTagName(), e.getTextContent().strip());
      }
    }
    return props;
  }

  /** artifactId to version of the plugins in build/pluginManagement. */
  private static Map<String, String> pluginVersions(Document pom) {
    Element plugins =
        child(child(child(pom.getDocumentElement(), "build"), "pluginManagement"), "plugins");
    Map<String, String> versions = new LinkedHashMap<>();
    NodeList nodes = plugins.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      if (nodes.item(i) instanceof Element plugin) {
        versions.put(text(plugin, "artifactId"), text(plugin, "version"));
      }
    }
    return versions;
  }

  private static Element dependency(Document pom, String artifactId) {
    NodeList nodes = child(pom.getDocumentElement(), "dependencies").getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      if (nodes.item(i) instanceof Element d && artifactId.equals(text(d, "artifactId"))) {
        return d;
      }
    }
    throw new AssertionError("no dependency " + artifactId);
  }

  /** {@code ${name}} replaced by the property's value. */
  private static String resolve(String value, Map<String, String> props) {
    if (value != null && value.startsWith("${") && value.endsWith("}")) {
      return props.get(value.substring(2, value.length() - 1));
    }
    return value;
  }

  private static Element child(Element parent, String tag) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(tag)) {
        return e;
      }
    }
    throw new AssertionError("<" + parent.getTagName() + "> has no <" + tag + ">");
  }

  private static String text(Element parent, String tag) {
    return child(parent, tag).getTextContent().strip();
  }

  /**
   * This command's class path as a project's test sees it: without the examples module's service
   * file, since a project depends on the DSL alone.
   */
  private static ClassLoader withoutExamples(ClassLoader parent) {
    return new ClassLoader(parent) {
      @Override
      public Enumeration<URL> getResources(String name) throws IOException {
        return DeclaredDefinitions.SERVICE_FILE.equals(name)
            ? Collections.emptyEnumeration()
            : super.getResources(name);
      }
    };
  }
}
