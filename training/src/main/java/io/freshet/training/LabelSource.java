package io.freshet.training;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the labels of a training set come from: a CSV file or a Postgres table (or view) in the
 * database of the offline tables. Either holds the entity key column(s) of every view the set
 * reads, named as the view's source key fields (e.g. {@code user_id}), a timestamp column, and any
 * other columns, which pass through to the output unchanged.
 */
public sealed interface LabelSource {

  /** A CSV file in the training-set CSV format (see {@link TrainingSetBuilder}), with a header. */
  static LabelSource csv(Path file) {
    return new CsvFile(file);
  }

  /** A table or view, e.g. {@code ml.churn_labels}. */
  static LabelSource postgresTable(String schemaDotTable) {
    return new PostgresTable(TableName.parse(schemaDotTable));
  }

  /** How a manifest records this source: {@code csv:/abs/path} or {@code postgres:schema.table}. */
  String describe();

  /** Reads a {@link #describe()} text back. */
  static LabelSource parse(String described) {
    if (described.startsWith("csv:")) {
      return csv(Path.of(described.substring(4)));
    }
    if (described.startsWith("postgres:")) {
      return postgresTable(described.substring(9));
    }
    throw new IllegalArgumentException("not a label source: " + described);
  }

  /**
   * A CSV file. Its checksum is the SHA-256 of its bytes.
   *
   * @param file the file; kept as an absolute, normalized path
   */
  record CsvFile(Path file) implements LabelSource {
    public CsvFile {
      file = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
    }

    @Override
    public String describe() {
      return "csv:" + file;
    }
  }

  /**
   * A table or view. Rows are read ordered by the primary key if the table has one, else by every
   * column's text, so the order and the checksum do not depend on where rows lie on disk; text
   * columns compare bytewise ({@code COLLATE "C"}), independent of the database's collation. The
   * checksum is the SHA-256 of the rows in the training-set CSV format (header first), with values
   * in Postgres' text form under {@code TimeZone=UTC} and {@code DateStyle=ISO}.
   *
   * @param name the table
   */
  record PostgresTable(TableName name) implements LabelSource {
    public PostgresTable {
      Objects.requireNonNull(name, "name");
    }

    @Override
    public String describe() {
      return "postgres:" + name;
    }
  }
}
