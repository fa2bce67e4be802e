package io.freshet.training;

import io.freshet.dsl.FeatureType;
import io.freshet.offline.CopyInStream;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.OfflineTable;
import io.freshet.offline.OutputTables;
import io.freshet.offline.TrainingSession;
import io.freshet.offline.TrainingSetTables;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes a joined training set so that it appears only when complete, and checksums it: a CSV or
 * Parquet file under a temporary name renamed over its target, or a table created, filled and
 * recorded in one transaction. The checksum is always that of the CSV form, so a set has one
 * checksum whatever it was written to.
 */
final class OutputWriter {
  /** An output feature column: values of view {@code view}, position {@code valueIndex}. */
  record Column(String name, int view, int valueIndex, FeatureType type) {}

  private final String jdbcUrl;
  private final Labels labels;
  private final List<Column> columns;
  private final String[][][] picked;
  private final TrainingSetProgress progress;

  OutputWriter(
      String jdbcUrl,
      Labels labels,
      List<Column> columns,
      String[][][] picked,
      TrainingSetProgress progress) {
    this.jdbcUrl = jdbcUrl;
    this.labels = labels;
    this.columns = columns;
    this.picked = picked;
    this.progress = progress;
  }

  /** Fails unless a CSV or Parquet file can be written at {@code target}. */
  static void checkFileTarget(Path target) {
    Path dir = target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new TrainingSetException(
          "output " + target + ": directory " + dir + " does not exist (create it first)");
    }
    if (Files.isDirectory(target)) {
      throw new TrainingSetException("output " + target + " is a directory; name a file");
    }
    if (!Files.isWritable(dir)) {
      throw new TrainingSetException("output " + target + ": directory " + dir + " is read-only");
    }
  }

  /**
   * Writes the set to {@code draft.output()}. With {@code expectedSha256} null it is a build: the
   * manifest is recorded with the output's checksum. Otherwise it is a rebuild: the output appears
   * only if its checksum equals {@code expectedSha256}, replacing an existing table if {@code
   * replaceTable}; nothing is recorded.
   *
   * @return the manifest with the output's checksum
   */
  TrainingSetManifest write(
      TrainingSetManifest draft, String expectedSha256, boolean replaceTable) {
    if (draft.output() instanceof TrainingSetOutput.CsvFile f) {
      return writeFile(f.file(), null, draft, expectedSha256);
    }
    if (draft.output() instanceof TrainingSetOutput.ParquetFile f) {
      return writeFile(f.file(), f.compression(), draft, expectedSha256);
    }
    return writeTable(
        ((TrainingSetOutput.PostgresTable) draft.output()).name(),
        draft,
        expectedSha256,
        replaceTable);
  }

  /**
   * Writes a file beside {@code target} and renames it over the target once complete and verified.
   * For Parquet the checksum is taken over the CSV form rendered to nowhere, before the file is
   * written, so a rebuild that would differ writes nothing.
   *
   * @param parquet how to compress a Parquet file, or null for CSV
   */
  private TrainingSetManifest writeFile(
      Path target, ParquetCompression parquet, TrainingSetManifest draft, String expected) {
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      MessageDigest sha = Labels.sha256();
      String checksum;
      if (parquet != null) {
        try (Writer csv =
            new BufferedWriter(
                new OutputStreamWriter(
                    new DigestOutputStream(OutputStream.nullOutputStream(), sha),
                    StandardCharsets.UTF_8),
                1 << 16)) {
          render(csv, null, false);
        }
        checksum = Labels.hex(sha);
        withChecksum(draft, checksum, expected);
        ParquetOutput.write(
            tmp, labels, draft.timestampColumn(), columns, picked, parquet, progress);
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          channel.force(true);
        }
      } else {
        try (FileChannel channel =
                FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Writer out =
                new BufferedWriter(
                    new OutputStreamWriter(
                        new DigestOutputStream(Channels.newOutputStream(channel), sha),
                        StandardCharsets.UTF_8),
                    1 << 16)) {
          render(out, null, true);
          out.flush();
          channel.force(true);
        }
        checksum = Labels.hex(sha);
      }
      TrainingSetManifest m = withChecksum(draft, checksum, expected);
      if (expected == null) {
        record(m);
      }
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        if (expected == null) {
          try {
            forget(m);
          } catch (TrainingSetException f) {
            e.addSuppressed(f);
          }
        }
        throw e;
      }
      return m;
    } catch (IOException e) {
      throw new TrainingSetException("could not write " + target + ": " + e, e);
    } catch (OfflineStoreException e) {
      throw new IllegalStateException("a file is written without a COPY stream", e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: the temporary file is hidden and never taken for the output
      }
    }
  }

  private TrainingSetManifest writeTable(
      TableName table, TrainingSetManifest draft, String expected, boolean replace) {
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      s.begin();
      try {
        MessageDigest sha = Labels.sha256();
        try (CopyInStream in =
                OutputTables.create(
                    s, table.schema(), table.table(), columnNames(), columnTypes(), replace);
            Writer csv =
                new BufferedWriter(
                    new OutputStreamWriter(
                        new DigestOutputStream(OutputStream.nullOutputStream(), sha),
                        StandardCharsets.UTF_8),
                    1 << 16)) {
          render(csv, in, true);
          in.end();
        }
        TrainingSetManifest m = withChecksum(draft, Labels.hex(sha), expected);
        if (expected == null) {
          ManifestStore.insert(s, m);
        }
        s.commit();
        return m;
      } catch (IOException | RuntimeException e) {
        s.rollback();
        throw e;
      }
    } catch (OfflineStoreException | IOException e) {
      throw new TrainingSetException(
          "could not write output table " + table + ": " + e.getMessage(), e);
    }
  }

  /** The output table's columns: the labels', then the features'. */
  private List<String> columnNames() {
    List<String> names = new ArrayList<>(labels.columns);
    for (Column col : columns) {
      names.add(col.name());
    }
    return names;
  }

  /** The Postgres types of {@link #columnNames()}. */
  private List<String> columnTypes() {
    List<String> types = new ArrayList<>(labels.postgresTypes);
    for (Column col : columns) {
      types.add(OfflineTable.columnType(col.type()));
    }
    return types;
  }

  /**
   * Writes the CSV form to {@code csv} and, if {@code copy} is given, the COPY form to it; {@code
   * count} when these are the rows written (not a checksum taken before the file is).
   */
  private void render(Writer csv, CopyInStream copy, boolean count)
      throws IOException, OfflineStoreException {
    int labelColumns = labels.columns.size();
    String[] record = new String[labelColumns + columns.size()];
    for (int i = 0; i < labelColumns; i++) {
      record[i] = labels.columns.get(i);
    }
    for (int c = 0; c < columns.size(); c++) {
      record[labelColumns + c] = columns.get(c).name();
    }
    Csv.writeRecord(csv, record);
    StringBuilder lines = new StringBuilder();
    String[] raw = new String[columns.size()];
    for (int row = 0; row < labels.size(); row++) {
      String[] label = labels.rows.get(row);
      System.arraycopy(label, 0, record, 0, labelColumns);
      for (int c = 0; c < columns.size(); c++) {
        Column col = columns.get(c);
        String[] values = picked[col.view()][row];
        raw[c] = values == null ? null : values[col.valueIndex()];
        record[labelColumns + c] = CsvValues.render(col.type(), raw[c]);
      }
      Csv.writeRecord(csv, record);
      if (count) {
        progress.rowWritten();
      }
      if (copy != null) {
        for (int i = 0; i < labelColumns; i++) {
          if (i > 0) {
            lines.append('\t');
          }
          CopyText.append(lines, label[i]);
        }
        for (String v : raw) {
          lines.append('\t');
          CopyText.append(lines, v);
        }
        lines.append('\n');
        if (lines.length() >= 1 << 16) {
          copy.write(lines);
        }
      }
    }
    if (copy != null) {
      copy.write(lines);
    }
  }

  private static TrainingSetManifest withChecksum(
      TrainingSetManifest draft, String sha, String expected) {
    if (expected != null && !expected.equals(sha)) {
      throw new TrainingSetException(
          "rebuilding training set "
              + draft.id()
              + " as of "
              + draft.asOf()
              + " gave output with SHA-256 "
              + sha
              + ", but the manifest recorded "
              + expected
              + ": offline rows committed before the as-of time were changed in place or deleted"
              + " since (the offline tables only ever add versions); nothing was replaced");
    }
    return new TrainingSetManifest(
        draft.id(),
        draft.createdAt(),
        draft.asOf(),
        draft.labels(),
        draft.labelSha256(),
        draft.timestampColumn(),
        draft.featureService(),
        draft.features(),
        draft.featureColumns(),
        draft.fullFeatureNames(),
        draft.views(),
        draft.output(),
        sha,
        draft.rowCount(),
        draft.formatVersion(),
        draft.semantics());
  }

  private void record(TrainingSetManifest m) {
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      s.begin();
      ManifestStore.insert(s, m);
      s.commit();
    } catch (OfflineStoreException e) {
      throw new TrainingSetException(
          "could not record the manifest of training set " + m.id() + ": " + e.getMessage(), e);
    }
  }

  private void forget(TrainingSetManifest m) {
    try (TrainingSession s = TrainingSession.open(jdbcUrl)) {
      TrainingSetTables.delete(s, m.id());
    } catch (OfflineStoreException e) {
      throw new TrainingSetException(
          "training set "
              + m.id()
              + " could not be published and its manifest could not be removed: "
              + e.getMessage(),
          e);
    }
  }
}
