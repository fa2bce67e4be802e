package io.freshet.deploy.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The Kubernetes objects of {@code deploy/kubernetes}: every YAML document of every manifest file
 * (all {@code *.yaml} but the kustomize files, outside {@code src/} and {@code target/}), or of a
 * stream rendered by {@code kubectl kustomize}.
 */
final class ManifestSet {
  /** Kustomize's own files: read by {@link Kustomization}, not Kubernetes objects. */
  static final List<String> KUSTOMIZE_FILES = List.of("kustomization.yaml", "kustomizeconfig.yaml");

  static final ObjectMapper YAML =
      YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY).build();

  private final List<Document> documents;

  private ManifestSet(List<Document> documents) {
    this.documents = List.copyOf(documents);
  }

  /** The manifest files under {@code dir} as they are. */
  static ManifestSet load(Path dir) {
    return load(dir, Map.of());
  }

  /**
   * The manifest files under {@code dir}, each named in {@code edits} first passed through its
   * edit: how the tests make a deliberately broken copy without touching the files.
   *
   * @throws IllegalArgumentException when an edit names no manifest file or changes nothing
   */
  static ManifestSet load(Path dir, Map<String, UnaryOperator<String>> edits) {
    Map<String, UnaryOperator<String>> pending = new HashMap<>(edits);
    List<Document> documents = new ArrayList<>();
    for (String file : manifestFiles(dir)) {
      String text = read(dir.resolve(file));
      UnaryOperator<String> edit = pending.remove(file);
      if (edit != null) {
        String edited = edit.apply(text);
        if (edited.equals(text)) {
          throw new IllegalArgumentException("the edit of " + file + " changed nothing");
        }
        text = edited;
      }
      documents.addAll(parse(file, text));
    }
    if (!pending.isEmpty()) {
      throw new IllegalArgumentException(
          "edits name no manifest file: "
              + pending.keySet()
              + " (files: "
              + manifestFiles(dir)
              + ")");
    }
    return new ManifestSet(documents);
  }

  /** The documents of one YAML stream, e.g. the output of {@code kubectl kustomize}. */
  static ManifestSet fromYaml(String origin, String yaml) {
    return new ManifestSet(parse(origin, yaml));
  }

  /** Manifest files under {@code dir}, relative, with '/' separators, sorted. */
  static List<String> manifestFiles(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString().replace('\\', '/'))
          .filter(f -> f.endsWith(".yaml") || f.endsWith(".yml"))
          .filter(f -> !f.startsWith("src/") && !f.startsWith("target/"))
          .filter(f -> !KUSTOMIZE_FILES.contains(f))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the manifests in " + dir, e);
    }
  }

  /**
   * Every non-empty document of {@code yaml}.
   *
   * @throws IllegalArgumentException naming the file and line when it is not YAML, repeats a key in
   *     a mapping, or holds a document that is not a mapping
   */
  static List<Document> parse(String file, String yaml) {
    List<Document> documents = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      int index = 0;
      while (it.hasNextValue()) {
        JsonNode node = it.nextValue();
        if (node == null || node.isNull() || node.isMissingNode()) {
          index++;
          continue;
        }
        if (!(node instanceof ObjectNode object)) {
          throw new IllegalArgumentException(
              file
                  + ": document "
                  + (index + 1)
                  + " is a "
                  + node.getNodeType()
                  + ", not a mapping");
        }
        documents.add(new Document(file, index++, object));
      }
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          file
              + ": not valid YAML: "
              + e.getOriginalMessage()
              + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"),
          e);
    } catch (IOException e) {
      throw new UncheckedIOException(file, e);
    }
    return documents;
  }

  List<Document> documents() {
    return documents;
  }

  List<Document> ofKind(String kind) {
    return documents.stream().filter(d -> d.kind().equals(kind)).toList();
  }

  Optional<Document> find(String kind, String name) {
    return documents.stream()
        .filter(d -> d.kind().equals(kind) && d.name().equals(name))
        .findFirst();
  }

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
