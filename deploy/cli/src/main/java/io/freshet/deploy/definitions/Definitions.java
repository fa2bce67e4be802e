package io.freshet.deploy.definitions;

import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.FeatureDefinitions;
import io.freshet.plan.Catalog;
import io.freshet.plan.DeclaredDefinitions;
import io.freshet.plan.ViewPlan;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The feature definitions a command works with: the examples bundled with Freshet, or the ones in a
 * user's jar named by {@code --definitions}, which then replace the examples everywhere (the
 * catalog the command reads, and the job jar it submits).
 *
 * <p>A user's jar lists its {@link FeatureDefinitions} classes in {@value #SERVICE_FILE}, one fully
 * qualified name per line, as {@link java.util.ServiceLoader} reads it. Its classes see the
 * command's own DSL classes (the command's class loader is the parent), so the jar needs only its
 * own classes; a jar that also bundles the DSL works the same.
 */
public final class Definitions {
  /** The service file a definitions jar must hold. */
  public static final String SERVICE_FILE = DeclaredDefinitions.SERVICE_FILE;

  private final Path jar;
  private final Catalog catalog;

  private Definitions(Path jar, Catalog catalog) {
    this.jar = jar;
    this.catalog = catalog;
  }

  /** The user's definitions when {@code jar} is not null, else the bundled examples. */
  public static Definitions load(Path jar) {
    return jar == null ? bundled() : fromJar(jar);
  }

  /** The examples bundled with Freshet. */
  public static Definitions bundled() {
    return new Definitions(null, Catalog.load(Definitions.class.getClassLoader()));
  }

  /**
   * The definitions in a user's jar, and only those: the bundled examples are not mixed in.
   *
   * @throws InvalidDefinitionsException when the jar is missing, is not a jar, lists no classes,
   *     lists classes that cannot be loaded, or the DSL rejects what they define
   */
  public static Definitions fromJar(Path jar) {
    Path file = jar.toAbsolutePath().normalize();
    String what = "the definitions jar " + jar;
    if (!Files.isRegularFile(file)) {
      throw new InvalidDefinitionsException(
          "--definitions " + jar + ": there is no such file (name the jar with your definitions)");
    }
    requireServiceFile(file, what);
    ClassLoader loader;
    try {
      loader = new OwnServicesLoader(file.toUri().toURL(), Definitions.class.getClassLoader());
    } catch (MalformedURLException e) {
      throw new InvalidDefinitionsException(what + " cannot be opened: " + e.getMessage(), e);
    }
    return new Definitions(file, load(loader, what));
  }

  private static void requireServiceFile(Path file, String what) {
    try (JarFile jarFile = new JarFile(file.toFile())) {
      ZipEntry entry = jarFile.getEntry(SERVICE_FILE);
      if (entry == null) {
        throw new InvalidDefinitionsException(
            what
                + " has no "
                + SERVICE_FILE
                + ", so Freshet cannot find its feature definitions: add that file to the jar,"
                + " listing each class that implements "
                + FeatureDefinitions.class.getName()
                + " on a line of its own (e.g. com.example.MyFeatures)");
      }
      try (InputStream in = jarFile.getInputStream(entry)) {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        boolean listsAClass =
            text.lines().map(l -> l.replaceFirst("#.*", "").strip()).anyMatch(l -> !l.isEmpty());
        if (!listsAClass) {
          throw new InvalidDefinitionsException(
              what
                  + ": "
                  + SERVICE_FILE
                  + " lists no class; name each class that implements "
                  + FeatureDefinitions.class.getName()
                  + " on a line of its own");
        }
      }
    } catch (ZipException e) {
      throw new InvalidDefinitionsException(
          what + " is not a jar file (" + e.getMessage() + "); name the jar your build produced",
          e);
    } catch (IOException e) {
      throw new InvalidDefinitionsException(what + " cannot be read: " + e.getMessage(), e);
    }
  }

  /** The definitions the loader declares, checked as the DSL checks them for a project's test. */
  private static Catalog load(ClassLoader loader, String what) {
    try {
      return DeclaredDefinitions.check(loader, what);
    } catch (DefinitionException e) {
      throw new InvalidDefinitionsException(e.getMessage(), e);
    }
  }

  public Catalog catalog() {
    return catalog;
  }

  /** The user's jar, or null for the bundled examples. */
  public Path jar() {
    return jar;
  }

  /** For messages: "the bundled examples" or "definitions.jar". */
  public String describe() {
    return jar == null ? "the bundled examples" : jar.getFileName().toString();
  }

  /**
   * The plans of the named views, in the order given.
   *
   * @throws IllegalArgumentException naming the unknown view and the known ones
   */
  public List<ViewPlan> plans(List<String> views) {
    List<ViewPlan> plans = new ArrayList<>();
    for (String v : views) {
      ViewPlan p = catalog.find(v);
      if (p == null) {
        throw new IllegalArgumentException(
            "unknown feature view '"
                + v
                + "': "
                + describe()
                + " define "
                + catalog.plans().stream().map(ViewPlan::name).toList()
                + (jar == null ? " (name your own jar with --definitions)" : ""));
      }
      if (plans.contains(p)) {
        throw new IllegalArgumentException("feature view '" + v + "' is named twice");
      }
      plans.add(p);
    }
    return plans;
  }

  /**
   * The job jar to submit for these definitions: {@code jobJar} itself for the bundled examples;
   * for a user's jar, a copy of {@code jobJar} written into {@code dir} whose definitions are the
   * user's. The copy gains the user jar's classes and resources (entries the job jar already holds
   * stay the job jar's, so the DSL, the compiler and the connectors are the ones the job was built
   * with) and its {@value #SERVICE_FILE} replaces the job jar's, so the job sees exactly the views
   * this command sees.
   */
  public Path jobJar(Path jobJar, Path dir) {
    if (jar == null) {
      return jobJar;
    }
    String base = jar.getFileName().toString().replaceFirst("(?i)\\.jar$", "");
    Path target =
        dir.resolve("freshet-job-with-" + base.replaceAll("[^A-Za-z0-9._-]", "_") + ".jar");
    try {
      Files.createDirectories(dir);
      Files.copy(jobJar, target, StandardCopyOption.REPLACE_EXISTING);
      try (FileSystem zip = FileSystems.newFileSystem(target);
          ZipFile user = new ZipFile(jar.toFile())) {
        for (Enumeration<? extends ZipEntry> e = user.entries(); e.hasMoreElements(); ) {
          ZipEntry entry = e.nextElement();
          String name = entry.getName();
          Path to = zip.getPath(name);
          if (entry.isDirectory()) {
            Files.createDirectories(to);
            continue;
          }
          boolean services = name.equals(SERVICE_FILE);
          if (!services && (isJarMetadata(name) || Files.exists(to))) {
            continue;
          }
          if (to.getParent() != null) {
            Files.createDirectories(to.getParent());
          }
          try (InputStream in = user.getInputStream(entry)) {
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "could not write the job jar with the definitions of " + jar + " to " + target, e);
    }
    return target;
  }

  /** The manifest and signature files, which belong to the jar they came from. */
  private static boolean isJarMetadata(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    if (!upper.startsWith("META-INF/") || upper.indexOf('/', 9) >= 0) {
      return false;
    }
    return upper.equals("META-INF/MANIFEST.MF")
        || upper.equals("META-INF/INDEX.LIST")
        || upper.endsWith(".SF")
        || upper.endsWith(".RSA")
        || upper.endsWith(".DSA")
        || upper.endsWith(".EC");
  }

  /**
   * A class loader for a user's jar whose {@value #SERVICE_FILE} is the jar's alone: classes come
   * from the parent first, as usual, but the parent's service file (the examples module's, which
   * this command ships for the demo and the bundled definitions) is hidden, so a user's jar
   * replaces the examples instead of adding to them.
   */
  private static final class OwnServicesLoader extends URLClassLoader {
    static {
      registerAsParallelCapable();
    }

    OwnServicesLoader(URL jar, ClassLoader parent) {
      super(new URL[] {jar}, parent);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
      if (SERVICE_FILE.equals(name)) {
        return findResources(name);
      }
      return super.getResources(name);
    }
  }
}
