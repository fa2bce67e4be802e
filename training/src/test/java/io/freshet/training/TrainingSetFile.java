package io.freshet.training;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A CSV training set read back: header and records, nulls as null. */
record TrainingSetFile(List<String> header, List<String[]> rows) {
  static TrainingSetFile read(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Csv.RecordReader csv = new Csv.RecordReader(r);
      List<String> header = List.of(csv.next());
      List<String[]> rows = new ArrayList<>();
      String[] rec;
      while ((rec = csv.next()) != null) {
        rows.add(rec);
      }
      return new TrainingSetFile(header, rows);
    } catch (Csv.FormatException e) {
      throw new IOException("line " + e.line + ": " + e.getMessage(), e);
    }
  }

  int column(String name) {
    int i = header.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("no column " + name + " in " + header);
    }
    return i;
  }

  String value(int row, String column) {
    return rows.get(row)[column(column)];
  }
}
