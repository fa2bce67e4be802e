package io.freshet.training;

import io.freshet.dsl.FeatureType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Writes a training set as a Parquet file: Apache Parquet's writer over its local {@code
 * OutputFile}, one row per label row, in label order.
 *
 * <p>Pages are dictionary- and RLE-encoded, then compressed as asked ({@link ParquetCompression},
 * ZSTD unless told otherwise). Parquet reaches its codecs through Hadoop's codec classes even with
 * a {@link PlainParquetConfiguration}; of Hadoop's dependencies only those the codecs load are on
 * the classpath (see the training module's POM).
 *
 * <p>Every column is optional, so nulls stay nulls. Label columns are strings ({@code BINARY}
 * annotated {@code STRING}) holding the label's text unchanged, except the label timestamp column,
 * which is {@code INT64} {@code TIMESTAMP(MICROS, isAdjustedToUTC = true)}: the label time as the
 * join read it. Features: INT64 as {@code INT64}, FLOAT64 as {@code DOUBLE}, STRING as {@code
 * BINARY} {@code STRING}, STRING_LIST as a standard three-level {@code LIST} of optional {@code
 * STRING} elements.
 *
 * <p>The file is not what a manifest's checksum covers: that is always the CSV form of the same set
 * (see {@link OutputWriter}), which is why a Parquet file verifies like any other output.
 */
final class ParquetOutput {
  private ParquetOutput() {}

  /** The Parquet schema of a set: the label columns, then the feature columns. */
  static MessageType schema(
      Labels labels, String timestampColumn, List<OutputWriter.Column> columns) {
    List<Type> fields = new ArrayList<>();
    for (String name : labels.columns) {
      fields.add(
          name.equals(timestampColumn)
              ? Types.optional(PrimitiveTypeName.INT64)
                  .as(
                      LogicalTypeAnnotation.timestampType(
                          true, LogicalTypeAnnotation.TimeUnit.MICROS))
                  .named(name)
              : string(name));
    }
    for (OutputWriter.Column col : columns) {
      fields.add(
          switch (col.type()) {
            case INT64 -> Types.optional(PrimitiveTypeName.INT64).named(col.name());
            case FLOAT64 -> Types.optional(PrimitiveTypeName.DOUBLE).named(col.name());
            case STRING -> string(col.name());
            case STRING_LIST ->
                Types.optionalList()
                    .optionalElement(PrimitiveTypeName.BINARY)
                    .as(LogicalTypeAnnotation.stringType())
                    .named(col.name());
          });
    }
    return Types.buildMessage().addFields(fields.toArray(new Type[0])).named("training_set");
  }

  private static Type string(String name) {
    return Types.optional(PrimitiveTypeName.BINARY)
        .as(LogicalTypeAnnotation.stringType())
        .named(name);
  }

  /**
   * Writes the set to {@code file}, which must not exist yet.
   *
   * @param picked the joined values, as {@link OutputWriter} holds them
   * @param compression how pages are compressed
   */
  static void write(
      Path file,
      Labels labels,
      String timestampColumn,
      List<OutputWriter.Column> columns,
      String[][][] picked,
      ParquetCompression compression,
      TrainingSetProgress progress)
      throws IOException {
    MessageType schema = schema(labels, timestampColumn, columns);
    RowWriteSupport support =
        new RowWriteSupport(
            schema, labels, labels.columns.indexOf(timestampColumn), columns, picked);
    try (ParquetWriter<Integer> writer =
        new Builder(new LocalOutputFile(file), support)
            .withConf(new PlainParquetConfiguration())
            .withWriteMode(ParquetFileWriter.Mode.CREATE)
            .withCompressionCodec(compression.codec())
            .build()) {
      for (int row = 0; row < labels.size(); row++) {
        writer.write(row);
        progress.rowWritten();
      }
    }
  }

  /** A writer of rows given by their label index. */
  private static final class Builder extends ParquetWriter.Builder<Integer, Builder> {
    private final RowWriteSupport support;

    Builder(LocalOutputFile file, RowWriteSupport support) {
      super(file);
      this.support = support;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<Integer> getWriteSupport(Configuration conf) {
      return support;
    }

    @Override
    protected WriteSupport<Integer> getWriteSupport(ParquetConfiguration conf) {
      return support;
    }
  }

  /** Emits label row {@code i} with its features. */
  private static final class RowWriteSupport extends WriteSupport<Integer> {
    private final MessageType schema;
    private final Labels labels;
    private final int timestampIndex;
    private final List<OutputWriter.Column> columns;
    private final String[][][] picked;
    private RecordConsumer out;

    RowWriteSupport(
        MessageType schema,
        Labels labels,
        int timestampIndex,
        List<OutputWriter.Column> columns,
        String[][][] picked) {
      this.schema = schema;
      this.labels = labels;
      this.timestampIndex = timestampIndex;
      this.columns = columns;
      this.picked = picked;
    }

    @Override
    public WriteContext init(Configuration configuration) {
      return new WriteContext(schema, new HashMap<>());
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
      return new WriteContext(schema, new HashMap<>());
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      this.out = recordConsumer;
    }

    @Override
    public void write(Integer boxedRow) {
      int row = boxedRow;
      out.startMessage();
      String[] label = labels.rows.get(row);
      int field = 0;
      for (int i = 0; i < label.length; i++, field++) {
        String name = labels.columns.get(i);
        if (i == timestampIndex) {
          out.startField(name, field);
          out.addLong(labels.timeMicros[row]);
          out.endField(name, field);
        } else if (label[i] != null) {
          out.startField(name, field);
          out.addBinary(Binary.fromString(label[i]));
          out.endField(name, field);
        }
      }
      for (OutputWriter.Column col : columns) {
        String[] values = picked[col.view()][row];
        String text = values == null ? null : values[col.valueIndex()];
        if (text != null) {
          out.startField(col.name(), field);
          value(col.type(), text);
          out.endField(col.name(), field);
        }
        field++;
      }
      out.endMessage();
    }

    /** One feature value, from its Postgres text form (see {@link CsvValues}). */
    private void value(FeatureType type, String text) {
      switch (type) {
        case INT64 -> out.addLong(Long.parseLong(text));
        case FLOAT64 -> out.addDouble(Double.parseDouble(text));
        case STRING -> out.addBinary(Binary.fromString(text));
        case STRING_LIST -> {
          List<String> elements = CsvValues.arrayLiteralElements(text);
          out.startGroup();
          if (!elements.isEmpty()) {
            out.startField("list", 0);
            for (String element : elements) {
              out.startGroup();
              if (element != null) {
                out.startField("element", 0);
                out.addBinary(Binary.fromString(element));
                out.endField("element", 0);
              }
              out.endGroup();
            }
            out.endField("list", 0);
          }
          out.endGroup();
        }
      }
    }
  }
}
