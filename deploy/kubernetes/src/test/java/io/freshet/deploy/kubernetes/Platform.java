package io.freshet.deploy.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * What the manifests are checked against: the checkout they live in, the Flink version the build
 * pins, the FlinkDeployment CRD of the operator-api artifact, and Flink's options. Loaded once;
 * immutable.
 */
final class Platform {
  /**
   * The FlinkDeployment CRD shipped inside the operator-api artifact the build depends on. That
   * release (1.10.0, the newest on Maven Central) predates Flink 2: its model and CRD stop at
   * flinkVersion v1_20, so the flinkVersion enum is the one rule the manifests are allowed to break
   * (see {@link ManifestValidator}).
   */
  static final String FLINK_DEPLOYMENT_CRD =
      "/META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml";

  private static Platform instance;

  final Path root;
  final String flinkVersion;
  final CrdSchema flinkDeploymentSchema;
  final FlinkOptions flinkOptions;

  private Platform(Path root) {
    this.root = root;
    this.flinkVersion = pomProperty(root.resolve("pom.xml"), "flink.version");
    this.flinkDeploymentSchema = CrdSchema.of(crd(), "v1beta1");
    this.flinkOptions = FlinkOptions.load();
  }

  /** The platform of this checkout: its root from {@code freshet.root}, else two levels up. */
  static synchronized Platform get() {
    if (instance == null) {
      Path root = Path.of(System.getProperty("freshet.root", "../..")).toAbsolutePath().normalize();
      if (!Files.isRegularFile(root.resolve("deploy/kubernetes/kustomization.yaml"))) {
        throw new IllegalStateException(
            root + " is not the repository root (no deploy/kubernetes/kustomization.yaml)");
      }
      instance = new Platform(root);
    }
    return instance;
  }

  Path kubernetesDir() {
    return root.resolve("deploy/kubernetes");
  }

  Path dockerDir() {
    return root.resolve("deploy/docker");
  }

  /** {@code v2_2} for Flink 2.2.1: the operator's name for a Flink minor version. */
  String operatorFlinkVersion() {
    Matcher m = Pattern.compile("(\\d+)\\.(\\d+)(\\..*)?").matcher(flinkVersion);
    if (!m.matches()) {
      throw new IllegalStateException(
          "flink.version " + flinkVersion + " is not major.minor.patch");
    }
    return "v" + m.group(1) + "_" + m.group(2);
  }

  static JsonNode crd() {
    try (InputStream in = Platform.class.getResourceAsStream(FLINK_DEPLOYMENT_CRD)) {
      if (in == null) {
        throw new IllegalStateException(FLINK_DEPLOYMENT_CRD + " is not on the test classpath");
      }
      return ManifestSet.YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(FLINK_DEPLOYMENT_CRD, e);
    }
  }

  /** The text of {@code <properties><name>} in a pom, e.g. flink.version in the root pom. */
  static String pomProperty(Path pom, String name) {
    Element properties = child(readPom(pom), "properties");
    Element value = properties == null ? null : child(properties, name);
    if (value == null) {
      throw new IllegalStateException(pom + " has no property " + name);
    }
    return value.getTextContent().trim();
  }

  static Element readPom(Path pom) {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      return factory.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
    } catch (Exception e) {
      throw new IllegalStateException("cannot read " + pom + ": " + e.getMessage(), e);
    }
  }

  /** The first child element named {@code name}, or null. */
  static Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    return null;
  }
}
