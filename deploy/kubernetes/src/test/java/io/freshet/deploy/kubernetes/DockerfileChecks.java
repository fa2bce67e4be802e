package io.freshet.deploy.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.freshet.deploy.kubernetes.Dockerfile.Copy;
import io.freshet.deploy.kubernetes.Dockerfile.Instruction;
import io.freshet.deploy.kubernetes.Dockerfile.Stage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The Dockerfiles of {@code deploy/docker} against the manifests that run their images and the
 * Maven builds that produce what they copy: a renamed jar, a moved classpath, a changed port or
 * user breaks a test here instead of a rollout.
 */
final class DockerfileChecks {
  static final String FEATURE_JOB = "feature-job.Dockerfile";
  static final String GATEWAY = "gateway.Dockerfile";
  static final String GATEWAY_MAIN_CLASS = "io.freshet.deploy.cli.FreshetCommand";

  /** The official Flink image's unprivileged user, by name and uid. */
  static final Set<String> FLINK_IMAGE_USER = Set.of("flink", "9999");

  private DockerfileChecks() {}

  /**
   * The feature-job image: Flink of the build's version, the shaded jar where the FlinkDeployment's
   * jarURI points, not root, the base image's entrypoint (the operator calls it).
   */
  static List<String> featureJob(
      Dockerfile dockerfile, String ignoreFile, ManifestSet manifests, Platform platform) {
    List<String> problems = new ArrayList<>();
    String at = dockerfile.name() + ": ";
    Stage stage = dockerfile.last();
    String expectedBase = "flink:" + platform.flinkVersion + "-java17";
    if (!stage.image().equals(expectedBase)) {
      problems.add(
          at
              + "FROM "
              + stage.image()
              + ": the job is built against Flink "
              + platform.flinkVersion
              + " (flink.version in the root pom) and the FlinkDeployment enables plugins of that"
              + " version; use "
              + expectedBase);
    }
    Optional<JsonNode> flink =
        manifests.ofKind("FlinkDeployment").stream().<JsonNode>map(Document::tree).findFirst();
    if (flink.isEmpty()) {
      problems.add(at + "no FlinkDeployment runs this image");
      return problems;
    }
    String jarUri = flink.get().path("spec").path("job").path("jarURI").asText("");
    String jarPath = jarUri.startsWith("local://") ? jarUri.substring("local://".length()) : jarUri;
    List<Copy> copies = stage.copies().stream().filter(c -> c.from() == null).toList();
    Optional<Copy> jarCopy =
        copies.stream().filter(c -> c.destination().equals(jarPath)).findFirst();
    if (jarCopy.isEmpty()) {
      problems.add(
          at
              + "no COPY puts the job jar at "
              + jarPath
              + ", where the FlinkDeployment's jarURI "
              + jarUri
              + " expects it (COPY destinations: "
              + copies.stream().map(Copy::destination).toList()
              + ")");
    } else {
      String expected = shadedJobJar(platform.root);
      if (!jarCopy.get().sources().equals(List.of(expected))) {
        problems.add(
            at
                + "line "
                + jarCopy.get().line()
                + ": copies "
                + jarCopy.get().sources()
                + ", but flink-jobs packages the job jar as "
                + expected);
      }
    }
    stage
        .last("USER")
        .ifPresent(
            user -> {
              if (!FLINK_IMAGE_USER.contains(user.arguments().split(":")[0])) {
                problems.add(
                    at
                        + "line "
                        + user.line()
                        + ": USER "
                        + user.arguments()
                        + ": run as the image's flink user (9999), which the FlinkDeployment's"
                        + " runAsUser names");
              }
            });
    long runAsUser =
        flink
            .get()
            .path("spec")
            .path("podTemplate")
            .path("spec")
            .path("securityContext")
            .path("runAsUser")
            .asLong(-1);
    if (runAsUser != 9999) {
      problems.add(
          at
              + "the FlinkDeployment's runAsUser "
              + runAsUser
              + " is not the flink user (9999) that owns /opt/flink in this image");
    }
    for (String keyword : List.of("ENTRYPOINT", "CMD")) {
      stage
          .last(keyword)
          .ifPresent(
              i ->
                  problems.add(
                      at
                          + "line "
                          + i.line()
                          + ": "
                          + keyword
                          + " replaces the image's /docker-entrypoint.sh, which the operator"
                          + " starts JobManagers and TaskManagers with"));
    }
    problems.addAll(ignoreFileCovers(dockerfile, ignoreFile));
    return problems;
  }

  /**
   * The gateway image: a Java 17 runtime, the CLI's jar and runtime classpath as deploy/cli
   * packages them, a numeric non-root user the Deployment's runAsUser matches, the port the
   * Deployment probes and the Service targets.
   */
  static List<String> gateway(
      Dockerfile dockerfile, String ignoreFile, ManifestSet manifests, Platform platform) {
    List<String> problems = new ArrayList<>();
    String at = dockerfile.name() + ": ";
    Stage stage = dockerfile.last();
    if (!stage.image().startsWith("eclipse-temurin:17-jre")) {
      problems.add(
          at + "FROM " + stage.image() + ": use a Java 17 runtime (eclipse-temurin:17-jre)");
    }
    Set<String> aliases =
        dockerfile.stages().stream()
            .map(Stage::alias)
            .filter(a -> a != null)
            .collect(Collectors.toSet());
    List<String> sources = new ArrayList<>();
    for (Stage s : dockerfile.stages()) {
      for (Copy copy : s.copies()) {
        if (copy.from() == null) {
          sources.addAll(copy.sources());
        } else if (!aliases.contains(copy.from())) {
          problems.add(
              at + "line " + copy.line() + ": COPY --from=" + copy.from() + ": no such stage");
        }
      }
    }
    for (String expected : cliPackaging(platform.root)) {
      boolean copied = sources.stream().anyMatch(s -> trimSlash(s).equals(trimSlash(expected)));
      if (!copied) {
        problems.add(
            at
                + "does not COPY "
                + expected
                + ", which deploy/cli's build produces for the command (copies: "
                + sources
                + ")");
      }
    }

    Optional<JsonNode> container = gatewayContainer(manifests);
    JsonNode podSecurity = gatewayPod(manifests).path("securityContext");
    Optional<Instruction> user = stage.last("USER");
    if (user.isEmpty()) {
      problems.add(at + "no USER: the gateway would run as root");
    } else {
      String[] ids = user.get().arguments().split(":");
      if (!ids[0].matches("\\d+") || ids[0].equals("0")) {
        problems.add(
            at
                + "line "
                + user.get().line()
                + ": USER "
                + user.get().arguments()
                + " must be a numeric non-root uid, so runAsNonRoot can verify it");
      } else if (podSecurity.path("runAsUser").asLong(-1) != Long.parseLong(ids[0])) {
        problems.add(
            at
                + "USER "
                + ids[0]
                + " is not the gateway Deployment's runAsUser "
                + podSecurity.path("runAsUser"));
      }
      if (ids.length > 1
          && !(ids[1].matches("\\d+")
              && podSecurity.path("runAsGroup").asLong(-1) == Long.parseLong(ids[1]))) {
        problems.add(
            at
                + "USER group "
                + ids[1]
                + " is not the gateway Deployment's runAsGroup "
                + podSecurity.path("runAsGroup"));
      }
    }

    Set<String> exposed =
        stage.all("EXPOSE").stream()
            .flatMap(i -> i.words().stream())
            .map(p -> p.replace("/tcp", ""))
            .collect(Collectors.toCollection(TreeSet::new));
    Set<String> containerPorts = new TreeSet<>();
    container.ifPresent(
        c -> c.path("ports").forEach(p -> containerPorts.add(p.path("containerPort").asText())));
    if (!exposed.equals(containerPorts)) {
      problems.add(
          at
              + "EXPOSE "
              + exposed
              + " differs from the gateway container's ports "
              + containerPorts);
    }

    Optional<List<String>> entrypoint = stage.last("ENTRYPOINT").flatMap(Instruction::execForm);
    if (entrypoint.isEmpty()) {
      problems.add(
          at + "needs an ENTRYPOINT in exec form [\"java\", ..., \"" + GATEWAY_MAIN_CLASS + "\"]");
    } else {
      checkEntrypoint(at, entrypoint.get(), stage, platform.root, problems);
    }

    Optional<List<String>> cmd = stage.last("CMD").flatMap(Instruction::execForm);
    if (cmd.isEmpty()) {
      problems.add(at + "needs a CMD in exec form [\"serve\", \"--port\", ...]");
    } else {
      checkServe(at, "CMD", cmd.get(), exposed, problems);
    }
    container.ifPresent(
        c -> {
          List<String> args = new ArrayList<>();
          c.path("args").forEach(a -> args.add(a.asText()));
          if (!args.isEmpty()) {
            checkServe(at, "the gateway Deployment's args", args, exposed, problems);
          }
        });
    problems.addAll(ignoreFileCovers(dockerfile, ignoreFile));
    return problems;
  }

  private static void checkServe(
      String at, String what, List<String> args, Set<String> exposed, List<String> problems) {
    int portFlag = args.indexOf("--port");
    if (args.isEmpty() || !args.get(0).equals("serve")) {
      problems.add(at + what + " " + args + " does not run the gateway (serve)");
    } else if (portFlag < 0
        || portFlag + 1 >= args.size()
        || !exposed.contains(args.get(portFlag + 1))) {
      problems.add(
          at
              + what
              + ": serve listens on "
              + (portFlag < 0 ? "its default port" : args.get(portFlag + 1))
              + ", which is not EXPOSEd "
              + exposed);
    }
  }

  private static void checkEntrypoint(
      String at, List<String> entrypoint, Stage stage, Path root, List<String> problems) {
    if (entrypoint.isEmpty() || !entrypoint.get(0).equals("java")) {
      problems.add(at + "ENTRYPOINT " + entrypoint + " does not start java");
      return;
    }
    int cp = Math.max(entrypoint.indexOf("-cp"), entrypoint.indexOf("-classpath"));
    if (cp < 0 || cp + 2 >= entrypoint.size()) {
      problems.add(at + "ENTRYPOINT " + entrypoint + " names no -cp and main class");
      return;
    }
    String mainClass = entrypoint.get(cp + 2);
    if (!mainClass.equals(GATEWAY_MAIN_CLASS)) {
      problems.add(at + "ENTRYPOINT runs " + mainClass + ", not " + GATEWAY_MAIN_CLASS);
    }
    Path source =
        root.resolve("deploy/cli/src/main/java/" + GATEWAY_MAIN_CLASS.replace('.', '/') + ".java");
    if (!Files.isRegularFile(source)) {
      problems.add(at + GATEWAY_MAIN_CLASS + " is not in deploy/cli any more");
    }
    List<String> destinations = stage.copies().stream().map(Copy::destination).toList();
    for (String entry : entrypoint.get(cp + 1).split(":")) {
      String path = entry.endsWith("/*") ? entry.substring(0, entry.length() - 2) : entry;
      boolean provided =
          destinations.stream()
              .anyMatch(d -> path.equals(trimSlash(d)) || path.startsWith(withSlash(d)));
      if (!provided) {
        problems.add(
            at
                + "the classpath entry "
                + entry
                + " is not provided by a COPY of the final stage (destinations: "
                + destinations
                + ")");
      }
    }
  }

  /**
   * The Dockerfile's own ignore file must start by excluding everything (the context is the whole
   * checkout) and re-include each COPY source.
   */
  static List<String> ignoreFileCovers(Dockerfile dockerfile, String ignoreFile) {
    List<String> problems = new ArrayList<>();
    String name = dockerfile.name() + ".dockerignore";
    List<String> patterns =
        Arrays.stream(ignoreFile.split("\n"))
            .map(String::trim)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    if (patterns.isEmpty() || !patterns.get(0).equals("*")) {
      problems.add(name + ": should start with * (the build context is the whole checkout)");
    }
    for (Stage stage : dockerfile.stages()) {
      for (Copy copy : stage.copies()) {
        if (copy.from() != null) {
          continue;
        }
        for (String source : copy.sources()) {
          if (!patterns.contains("!" + trimSlash(source))) {
            problems.add(
                name
                    + ": does not re-include !"
                    + trimSlash(source)
                    + ", which line "
                    + copy.line()
                    + " copies");
          }
        }
      }
    }
    return problems;
  }

  /** {@code flink-jobs/target/flink-jobs-*-<classifier>.jar}, from flink-jobs' shade config. */
  static String shadedJobJar(Path root) {
    Element pom = Platform.readPom(root.resolve("flink-jobs/pom.xml"));
    String artifactId = Platform.child(pom, "artifactId").getTextContent().trim();
    NodeList classifier = pom.getElementsByTagName("shadedClassifierName");
    if (classifier.getLength() != 1) {
      throw new IllegalStateException("flink-jobs/pom.xml: expected one shadedClassifierName");
    }
    return "flink-jobs/target/"
        + artifactId
        + "-*-"
        + classifier.item(0).getTextContent().trim()
        + ".jar";
  }

  /** What deploy/cli's build leaves for the command: its jar and its runtime classpath folder. */
  static List<String> cliPackaging(Path root) {
    Element pom = Platform.readPom(root.resolve("deploy/cli/pom.xml"));
    Element build = Platform.child(pom, "build");
    Element finalName = build == null ? null : Platform.child(build, "finalName");
    if (finalName == null) {
      throw new IllegalStateException("deploy/cli/pom.xml: no build/finalName");
    }
    NodeList outputs = pom.getElementsByTagName("outputDirectory");
    if (outputs.getLength() != 1) {
      throw new IllegalStateException(
          "deploy/cli/pom.xml: expected one copy-dependencies outputDirectory");
    }
    String lib =
        outputs.item(0).getTextContent().trim().replace("${project.build.directory}", "target");
    return List.of(
        "deploy/cli/target/" + finalName.getTextContent().trim() + ".jar",
        "deploy/cli/" + lib + "/");
  }

  private static Optional<JsonNode> gatewayContainer(ManifestSet manifests) {
    JsonNode containers = gatewayPod(manifests).path("containers");
    return containers.size() == 0 ? Optional.empty() : Optional.of(containers.get(0));
  }

  private static JsonNode gatewayPod(ManifestSet manifests) {
    return manifests.ofKind("Deployment").stream()
        .map(Document::tree)
        .filter(
            t ->
                KubernetesChecks.GATEWAY_COMPONENT.equals(
                    t.path("metadata")
                        .path("labels")
                        .path(KubernetesChecks.COMPONENT_LABEL)
                        .asText()))
        .findFirst()
        .map(t -> t.path("spec").path("template").path("spec"))
        .orElse(MissingNode.getInstance());
  }

  private static String trimSlash(String path) {
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private static String withSlash(String path) {
    return path.endsWith("/") ? path : path + "/";
  }
}
