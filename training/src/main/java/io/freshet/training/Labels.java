package io.freshet.training;

import io.freshet.offline.CopyOutStream;
import io.freshet.offline.LabelTables;
import io.freshet.offline.OfflineStoreException;
import io.freshet.offline.TrainingSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The labels of a training set, read and checked in full before any feature is looked up: the
 * columns in source order, every row's values as text (null where the source has none), every row's
 * time in epoch microseconds, and the source's checksum.
 */
final class Labels {
  /** How many problems one error message lists at most. */
  private static final int MAX_PROBLEMS = 10;

  final List<String> columns;

  /** Postgres type of each column for a table output; text for a CSV source. */
  final List<String> postgresTypes;

  final List<String[]> rows;
  final long[] timeMicros;
  final String sha256;

  /** Where each row is, for errors: the CSV line it starts on, or the table row's number. */
  final long[] lines;

  /** How to name a row's place, {@code #} standing for {@link #lines}' number. */
  final String place;

  private Labels(
      List<String> columns,
      List<String> postgresTypes,
      List<String[]> rows,
      long[] timeMicros,
      String sha256,
      long[] lines,
      String place) {
    this.columns = columns;
    this.postgresTypes = postgresTypes;
    this.rows = rows;
    this.timeMicros = timeMicros;
    this.sha256 = sha256;
    this.lines = lines;
    this.place = place;
  }

  /** Names row {@code row} for an error, e.g. {@code labels.csv line 7}. */
  String where(int row) {
    int mark = place.lastIndexOf('#');
    return place.substring(0, mark) + lines[row] + place.substring(mark + 1);
  }

  int size() {
    return rows.size();
  }

  int column(String name) {
    return columns.indexOf(name);
  }

  /**
   * A column the labels must have, and why, e.g. {@code user_id} as "the entity key of view
   * user_activity".
   */
  record Required(String column, String why) {}

  /** Reads and checks a CSV label file; its checksum is the SHA-256 of its bytes. */
  static Labels readCsv(Path file, String timestampColumn, List<Required> required) {
    return readCsv(file, timestampColumn, required, new TrainingSetProgress());
  }

  /** Reads and checks a CSV label file, counting the labels and bytes read in {@code progress}. */
  static Labels readCsv(
      Path file, String timestampColumn, List<Required> required, TrainingSetProgress progress) {
    MessageDigest sha = sha256();
    String where = file.toString();
    try (CountingInputStream raw = new CountingInputStream(Files.newInputStream(file));
        DigestInputStream digesting = new DigestInputStream(raw, sha)) {
      progress.readingLabels(Files.size(file));
      InputStreamReader reader =
          new InputStreamReader(
              digesting,
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT));
      Csv.RecordReader csv = new Csv.RecordReader(reader);
      String[] header;
      try {
        header = csv.next();
      } catch (Csv.FormatException e) {
        throw new TrainingSetException(where + " line " + e.line + ": " + e.getMessage());
      }
      if (header == null) {
        throw new TrainingSetException(
            where
                + " is empty: it needs a header line naming its columns, then one line per label");
      }
      List<String> columns = checkHeader(where, header, timestampColumn, required);
      int tsColumn = columns.indexOf(timestampColumn);
      Problems problems = new Problems(where);
      List<String[]> rows = new ArrayList<>();
      LongList times = new LongList();
      LongList lines = new LongList();
      while (true) {
        String[] record;
        try {
          record = csv.next();
        } catch (Csv.FormatException e) {
          problems.add("line " + e.line + ": " + e.getMessage());
          break;
        }
        if (record == null) {
          break;
        }
        String at = "line " + csv.recordLine();
        if (record.length != columns.size()) {
          problems.add(
              at
                  + ": "
                  + record.length
                  + " fields, but the header has "
                  + columns.size()
                  + " "
                  + columns);
          continue;
        }
        times.add(parseTime(problems, at, timestampColumn, record[tsColumn]));
        lines.add(csv.recordLine());
        rows.add(record);
        progress.labelRead(raw.count);
      }
      problems.throwIfAny();
      digesting.transferTo(OutputStream.nullOutputStream());
      List<String> types = columns.stream().map(c -> "text").toList();
      return new Labels(
          columns, types, rows, times.toArray(), hex(sha), lines.toArray(), where + " line #");
    } catch (NoSuchFileException e) {
      throw new TrainingSetException("label file " + where + " does not exist");
    } catch (CharacterCodingException e) {
      throw new TrainingSetException(where + " is not UTF-8 text: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new TrainingSetException("could not read label file " + where + ": " + e, e);
    }
  }

  /**
   * Reads and checks a label table in {@code s}, whose transaction must have begun; its rows come
   * in the order {@link LabelTables} reads them in.
   */
  static Labels readTable(
      TrainingSession s,
      TableName table,
      String timestampColumn,
      List<Required> required,
      TrainingSetProgress progress)
      throws OfflineStoreException {
    String where = "label table " + table;
    LabelTables.Table found =
        LabelTables.find(s, table.schema(), table.table())
            .orElseThrow(() -> new TrainingSetException(where + " does not exist"));
    List<String> columns = new ArrayList<>();
    List<String> types = new ArrayList<>();
    Map<String, String> baseType = new HashMap<>();
    for (LabelTables.Column col : found.columns()) {
      columns.add(col.name());
      types.add(col.type());
      baseType.put(col.name(), col.baseType());
    }
    checkHeader(where, columns.toArray(new String[0]), timestampColumn, required);
    String tsType = baseType.get(timestampColumn);
    if (!List.of(
            "timestamp with time zone",
            "bigint",
            "integer",
            "smallint",
            "text",
            "character varying",
            "character")
        .contains(tsType)) {
      throw new TrainingSetException(
          where
              + ": timestamp column '"
              + timestampColumn
              + "' is "
              + tsType
              + (tsType.equals("timestamp without time zone")
                  ? ", which does not say which instant it means"
                  : "")
              + "; label times must be timestamptz, epoch milliseconds (bigint) or ISO-8601 text"
              + " with an offset (e.g. select it through a view as ts AT TIME ZONE 'UTC')");
    }
    String orderBy = found.orderBy();
    int tsColumn = columns.indexOf(timestampColumn);
    Problems problems = new Problems(where);
    List<String[]> rows = new ArrayList<>();
    LongList times = new LongList();
    MessageDigest sha = sha256();
    try (Writer rendering =
        new OutputStreamWriter(
            new DigestOutputStream(OutputStream.nullOutputStream(), sha), StandardCharsets.UTF_8)) {
      Csv.writeRecord(rendering, columns.toArray(new String[0]));
      CopyOutStream copy = found.copyRows(s);
      progress.readingLabels(-1);
      byte[] line;
      while ((line = copy.readRow()) != null) {
        String[] record = new String[columns.size()];
        int from = 0;
        for (int i = 0; i < record.length; i++) {
          int to = CopyText.fieldEnd(line, from);
          record[i] = CopyText.decode(line, from, to);
          from = to + 1;
        }
        String at = "row " + (rows.size() + 1) + " (in order of " + orderBy + ")";
        times.add(parseTime(problems, at, timestampColumn, record[tsColumn]));
        rows.add(record);
        progress.labelRead(-1);
        Csv.writeRecord(rendering, record);
      }
    } catch (IOException e) {
      throw new IllegalStateException("writing to a digest cannot fail", e);
    }
    problems.throwIfAny();
    long[] lines = new long[rows.size()];
    for (int i = 0; i < lines.length; i++) {
      lines[i] = i + 1;
    }
    return new Labels(
        columns,
        types,
        rows,
        times.toArray(),
        hex(sha),
        lines,
        where + " row # (in order of " + orderBy.replace("#", "") + ")");
  }

  private static List<String> checkHeader(
      String where, String[] header, String timestampColumn, List<Required> required) {
    List<String> columns = new ArrayList<>();
    for (int i = 0; i < header.length; i++) {
      String name = header[i];
      if (name == null || name.isEmpty()) {
        throw new TrainingSetException(
            where + ": column " + (i + 1) + " of the header has no name " + List.of(header));
      }
      if (columns.contains(name)) {
        throw new TrainingSetException(
            where + ": the header names column '" + name + "' twice " + List.of(header));
      }
      columns.add(name);
    }
    Map<String, String> missing = new LinkedHashMap<>();
    if (!columns.contains(timestampColumn)) {
      missing.put(
          timestampColumn,
          "the timestamp column"
              + (timestampColumn.equals(TrainingSetRequest.DEFAULT_TIMESTAMP_COLUMN)
                  ? "; name another one with the timestamp column option"
                  : ""));
    }
    for (Required r : required) {
      if (!columns.contains(r.column())) {
        missing.merge(r.column(), r.why(), (a, b) -> a + ", " + b);
      }
    }
    if (!missing.isEmpty()) {
      StringBuilder sb = new StringBuilder(where).append(" has no column ");
      int n = 0;
      for (Map.Entry<String, String> m : missing.entrySet()) {
        sb.append(n++ == 0 ? "" : " and no column ");
        sb.append('\'').append(m.getKey()).append("' (").append(m.getValue()).append(')');
      }
      sb.append("; its columns are ").append(columns);
      throw new TrainingSetException(sb.toString());
    }
    return List.copyOf(columns);
  }

  private static long parseTime(Problems problems, String at, String column, String value) {
    try {
      return LabelTime.parseMicros(value);
    } catch (IllegalArgumentException e) {
      problems.add(at + ": " + column + " " + e.getMessage());
      return 0;
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Problems found while reading, reported together. */
  private static final class Problems {
    private final String where;
    private final List<String> list = new ArrayList<>();
    private int count;

    Problems(String where) {
      this.where = where;
    }

    void add(String problem) {
      count++;
      if (list.size() < MAX_PROBLEMS) {
        list.add(problem);
      }
    }

    void throwIfAny() {
      if (count == 0) {
        return;
      }
      StringBuilder sb = new StringBuilder(where);
      if (count == 1) {
        sb.append(' ').append(list.get(0));
      } else {
        sb.append(": ").append(count).append(" problems");
        for (String p : list) {
          sb.append("\n  ").append(p);
        }
        if (count > list.size()) {
          sb.append("\n  ... and ").append(count - list.size()).append(" more");
        }
      }
      throw new TrainingSetException(sb.toString());
    }
  }

  /** Counts the bytes read through it, for the share of a label file read. */
  private static final class CountingInputStream extends java.io.FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }

  /** A growable array of longs. */
  static final class LongList {
    private long[] values = new long[1024];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = java.util.Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    long[] toArray() {
      return java.util.Arrays.copyOf(values, size);
    }
  }
}
