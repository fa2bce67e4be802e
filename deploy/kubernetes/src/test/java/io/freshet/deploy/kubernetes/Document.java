package io.freshet.deploy.kubernetes;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One YAML document of a manifest file, as parsed, before any binding.
 *
 * @param file the file it came from, relative to {@code deploy/kubernetes} (or the origin of a
 *     rendered stream)
 * @param index its position in the file, from 0
 * @param tree the document
 */
record Document(String file, int index, ObjectNode tree) {

  String apiVersion() {
    return tree.path("apiVersion").asText("");
  }

  String kind() {
    return tree.path("kind").asText("");
  }

  String name() {
    return tree.path("metadata").path("name").asText("");
  }

  /** {@code apiVersion/kind}, the key the validators dispatch on. */
  String type() {
    return apiVersion() + "/" + kind();
  }

  /** Where a problem is, for messages: {@code gateway/service.yaml: Service freshet-gateway}. */
  String where() {
    String kind = kind().isEmpty() ? "document " + (index + 1) : kind();
    return file + ": " + kind + (name().isEmpty() ? "" : " " + name());
  }
}
