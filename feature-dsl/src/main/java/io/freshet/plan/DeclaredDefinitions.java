package io.freshet.plan;

import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.FeatureDefinitions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Collections;
import java.util.List;
import java.util.ServiceConfigurationError;

/**
 * The feature definitions a user's jar or project declares, loaded and checked as {@code freshet
 * apply} checks them before it registers anything.
 *
 * <p>A definitions project lists its {@link FeatureDefinitions} classes in {@value #SERVICE_FILE}
 * (in Maven, {@code src/main/resources/META-INF/services/io.freshet.dsl.FeatureDefinitions}), one
 * fully qualified name per line. A project's test sees exactly what its jar will declare:
 *
 * <pre>{@code
 * @Test
 * void definitions_pass_the_checks_of_freshet_apply() {
 *   Catalog catalog = DeclaredDefinitions.check(getClass().getClassLoader());
 *   assertEquals(List.of("page_clicks"), catalog.plans().stream().map(ViewPlan::name).toList());
 * }
 * }</pre>
 *
 * <p>Every failure is a {@link DefinitionException} whose message says what is wrong and what to
 * do. Thread-safe (stateless).
 */
public final class DeclaredDefinitions {
  /** The service file that lists a jar's {@link FeatureDefinitions} classes. */
  public static final String SERVICE_FILE =
      "META-INF/services/" + FeatureDefinitions.class.getName();

  private DeclaredDefinitions() {}

  /**
   * The definitions declared on {@code loader}'s class path, checked as {@code freshet apply}
   * checks them.
   *
   * @throws DefinitionException when no service file declares a class, a declared class cannot be
   *     loaded or built, the DSL rejects a definition, or no view is defined
   */
  public static Catalog check(ClassLoader loader) {
    return check(loader, "the class path");
  }

  /**
   * As {@link #check(ClassLoader)}, with {@code what} naming the definitions in messages, e.g.
   * {@code "the definitions jar target/acme-features-1.0.jar"} (default: {@code "the class path"}).
   */
  public static Catalog check(ClassLoader loader, String what) {
    if (serviceFiles(loader).isEmpty()) {
      throw new DefinitionException(
          what
              + " has no "
              + SERVICE_FILE
              + " (in a Maven project: src/main/resources/"
              + SERVICE_FILE
              + "), so Freshet cannot find its feature definitions: add that file, listing each"
              + " class that implements "
              + FeatureDefinitions.class.getName()
              + " on a line of its own (e.g. com.example.MyFeatures)");
    }
    Catalog catalog;
    try {
      catalog = Catalog.load(loader);
    } catch (ServiceConfigurationError e) {
      throw new DefinitionException(
          what
              + ": "
              + SERVICE_FILE
              + " names a class that cannot be used: "
              + e.getMessage()
              + (e.getCause() == null ? "" : " (" + e.getCause() + ")")
              + ". Each line must name a public class in the jar with a public no-argument"
              + " constructor that implements "
              + FeatureDefinitions.class.getName());
    } catch (DefinitionException e) {
      throw new DefinitionException(
          "invalid feature definitions in " + what + ":\n  " + e.getMessage());
    } catch (LinkageError e) {
      throw new DefinitionException(
          what
              + " does not fit this version of Freshet's DSL ("
              + e
              + "): rebuild it against io.freshet:feature-dsl "
              + version());
    } catch (RuntimeException e) {
      throw new DefinitionException(what + " failed while building its feature views: " + e);
    }
    if (catalog.plans().isEmpty()) {
      throw new DefinitionException(
          what
              + " defines no feature views: "
              + SERVICE_FILE
              + " lists no class, or its classes return no views");
    }
    return catalog;
  }

  private static String version() {
    String v = FeatureDefinitions.class.getPackage().getImplementationVersion();
    return v == null ? "of this release" : v;
  }

  private static List<URL> serviceFiles(ClassLoader loader) {
    try {
      return Collections.list(loader.getResources(SERVICE_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException("could not look for " + SERVICE_FILE, e);
    }
  }
}
