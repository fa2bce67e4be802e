package io.freshet.training;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a training set is written: the label columns in label order, then one column per feature.
 *
 * <p>Nothing partial is ever visible as if complete. A CSV or Parquet file is written beside its
 * target under a temporary name and renamed over the target atomically once complete and
 * checksummed (an existing file is replaced). A Postgres table is created, filled and recorded in
 * the manifest in one transaction; an existing table is an error.
 */
public sealed interface TrainingSetOutput {

  /** A CSV file in the training-set CSV format (see {@link TrainingSetBuilder}). */
  static TrainingSetOutput csv(Path file) {
    return new CsvFile(file);
  }

  /**
   * A Parquet file holding the same set as {@link #csv}, typed: label columns as strings ({@code
   * BINARY} {@code STRING}) except the label timestamp column, {@code INT64} {@code
   * TIMESTAMP(MICROS, isAdjustedToUTC = true)}; features INT64 as {@code INT64}, FLOAT64 as {@code
   * DOUBLE}, STRING as {@code STRING}, STRING_LIST as a {@code LIST} of {@code STRING}. Every
   * column is optional and nulls stay nulls. Dictionary-encoded and compressed with ZSTD.
   *
   * <p>The manifest's output checksum is that of the set's CSV form, as for a table, so a set built
   * to one form can be rebuilt to another and verified.
   */
  static TrainingSetOutput parquet(Path file) {
    return new ParquetFile(file, ParquetCompression.ZSTD);
  }

  /** A Parquet file as {@link #parquet(Path)}, its pages compressed as given. */
  static TrainingSetOutput parquet(Path file, ParquetCompression compression) {
    return new ParquetFile(file, compression);
  }

  /**
   * A new table, e.g. {@code ml.churn_train}, in the database of the offline tables: label columns
   * keep their types (text for a CSV label file), feature columns take their Postgres types ({@code
   * bigint}, {@code double precision}, {@code text}, {@code text[]}).
   */
  static TrainingSetOutput postgresTable(String schemaDotTable) {
    return new PostgresTable(TableName.parse(schemaDotTable));
  }

  /**
   * How a manifest records this output: {@code csv:/abs/path}, {@code parquet:/abs/path} or {@code
   * postgres:schema.table}.
   */
  String describe();

  /** The local file written, if this output is one. */
  default Optional<Path> localFile() {
    return Optional.empty();
  }

  /** Reads a {@link #describe()} text back. */
  static TrainingSetOutput parse(String described) {
    if (described.startsWith("csv:")) {
      return csv(Path.of(described.substring(4)));
    }
    if (described.startsWith("parquet:")) {
      return parquet(Path.of(described.substring(8)));
    }
    if (described.startsWith("postgres:")) {
      return postgresTable(described.substring(9));
    }
    throw new IllegalArgumentException("not a training-set output: " + described);
  }

  /**
   * A CSV file.
   *
   * @param file the file; kept as an absolute, normalized path
   */
  record CsvFile(Path file) implements TrainingSetOutput {
    public CsvFile {
      file = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
    }

    @Override
    public String describe() {
      return "csv:" + file;
    }

    @Override
    public Optional<Path> localFile() {
      return Optional.of(file);
    }
  }

  /**
   * A Parquet file. Its compression is not part of the manifest's record of it: the set's content
   * and checksum do not depend on it, and a rebuild writes the default.
   *
   * @param file the file; kept as an absolute, normalized path
   * @param compression how its pages are compressed
   */
  record ParquetFile(Path file, ParquetCompression compression) implements TrainingSetOutput {
    public ParquetFile {
      file = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
      Objects.requireNonNull(compression, "compression");
    }

    @Override
    public String describe() {
      return "parquet:" + file;
    }

    @Override
    public Optional<Path> localFile() {
      return Optional.of(file);
    }
  }

  /**
   * A Postgres table.
   *
   * @param name the table
   */
  record PostgresTable(TableName name) implements TrainingSetOutput {
    public PostgresTable {
      Objects.requireNonNull(name, "name");
    }

    @Override
    public String describe() {
      return "postgres:" + name;
    }
  }
}
