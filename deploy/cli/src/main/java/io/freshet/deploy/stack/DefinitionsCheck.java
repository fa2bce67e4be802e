package io.freshet.deploy.stack;

import io.freshet.examples.ExampleDefinitions;
import io.freshet.plan.Catalog;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Makes sure a job jar carries the same feature definitions as this command. The gateway reads the
 * online table under each view's version tag, derived from the definitions; a job jar built from
 * other definitions writes under other tags, and the gateway would find nothing.
 */
public final class DefinitionsCheck {
  private DefinitionsCheck() {}

  /**
   * Fails when a class of the DSL jar or of the examples jar this command runs with is missing from
   * {@code jobJar} or differs there.
   */
  public static void requireSameDefinitions(Path jobJar) {
    requireSameDefinitions(jobJar, Catalog.class);
    requireSameDefinitions(jobJar, ExampleDefinitions.class);
  }

  /**
   * Fails when a class of the jar holding {@code definitionsClass} (the feature-dsl jar, or the
   * examples jar) is missing from {@code jobJar} or differs there.
   */
  public static void requireSameDefinitions(Path jobJar, Class<?> definitionsClass) {
    Path dslJar;
    try {
      dslJar =
          Path.of(definitionsClass.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | RuntimeException e) {
      return; // not loaded from a jar file (e.g. an IDE's classes folder): nothing to compare
    }
    if (!Files.isRegularFile(dslJar)) {
      return;
    }
    List<String> differing = differingClasses(dslJar, jobJar);
    if (!differing.isEmpty()) {
      throw new StackException(
          "the job jar "
              + jobJar
              + " was built from other feature definitions than this command ("
              + differing.size()
              + " classes of "
              + dslJar.getFileName()
              + " differ, e.g. "
              + String.join(", ", differing.subList(0, Math.min(3, differing.size())))
              + "), so the job and the gateway would disagree on view versions: rebuild both with"
              + " deploy/bin/freshet build");
    }
  }

  /** Classes of {@code reference} that {@code candidate} lacks or holds with other bytes. */
  static List<String> differingClasses(Path reference, Path candidate) {
    try (ZipFile ref = new ZipFile(reference.toFile());
        ZipFile cand = new ZipFile(candidate.toFile())) {
      Map<String, Long> candidateCrcs = new HashMap<>();
      for (Enumeration<? extends ZipEntry> e = cand.entries(); e.hasMoreElements(); ) {
        ZipEntry z = e.nextElement();
        if (z.getName().endsWith(".class")) {
          candidateCrcs.put(z.getName(), z.getCrc());
        }
      }
      List<String> differing = new ArrayList<>();
      for (Enumeration<? extends ZipEntry> e = ref.entries(); e.hasMoreElements(); ) {
        ZipEntry z = e.nextElement();
        if (z.getName().endsWith(".class")
            && !Long.valueOf(z.getCrc()).equals(candidateCrcs.get(z.getName()))) {
          differing.add(z.getName());
        }
      }
      differing.sort(null);
      return differing;
    } catch (IOException e) {
      throw new StackException("could not read " + candidate + ": " + e.getMessage(), e);
    }
  }
}
