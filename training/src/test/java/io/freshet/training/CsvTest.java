package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CsvTest {
  private static List<String[]> read(String text) throws Exception {
    Csv.RecordReader r = new Csv.RecordReader(new StringReader(text));
    List<String[]> out = new ArrayList<>();
    String[] rec;
    while ((rec = r.next()) != null) {
      out.add(rec);
    }
    return out;
  }

  @Test
  void an_unquoted_empty_field_is_null_and_a_quoted_one_the_empty_string() throws Exception {
    assertThat(read("a,,\"\"\n")).containsExactly(new String[] {"a", null, ""});
  }

  @Test
  void quoted_fields_hold_commas_quotes_and_line_breaks() throws Exception {
    assertThat(read("\"x,y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\nnext,1"))
        .containsExactly(
            new String[] {"x,y", "say \"hi\"", "two\r\nlines"}, new String[] {"next", "1"});
  }

  @Test
  void a_byte_order_mark_and_empty_lines_are_skipped() throws Exception {
    assertThat(read("\uFEFFa,b\n\n\r\nc,d\n\n"))
        .containsExactly(new String[] {"a", "b"}, new String[] {"c", "d"});
  }

  @Test
  void records_know_the_line_they_start_on() throws Exception {
    Csv.RecordReader r = new Csv.RecordReader(new StringReader("h\n\"a\nb\"\n\nc\n"));
    r.next();
    assertThat(r.recordLine()).isEqualTo(1);
    r.next();
    assertThat(r.recordLine()).isEqualTo(2);
    r.next();
    assertThat(r.recordLine()).isEqualTo(5);
  }

  @Test
  void malformed_quoting_is_reported_with_its_line() {
    assertThatThrownBy(() -> read("a\n\"open\nstill open"))
        .isInstanceOf(Csv.FormatException.class)
        .hasMessage("a quoted field starts on this line and is never closed")
        .satisfies(e -> assertThat(((Csv.FormatException) e).line).isEqualTo(2));
    assertThatThrownBy(() -> read("a\nb\"c\n"))
        .isInstanceOf(Csv.FormatException.class)
        .hasMessageStartingWith("a quote inside an unquoted field")
        .satisfies(e -> assertThat(((Csv.FormatException) e).line).isEqualTo(2));
  }

  @Test
  void the_writer_quotes_only_what_needs_it_and_round_trips() throws Exception {
    String[] values = {"plain", null, "", "a,b", "q\"q", "l\nf", "c\rr", " spaced ", "ü😀"};
    StringWriter w = new StringWriter();
    Csv.writeRecord(w, values);

    assertThat(w.toString())
        .isEqualTo("plain,,\"\",\"a,b\",\"q\"\"q\",\"l\nf\",\"c\rr\", spaced ,ü😀\n");
    assertThat(read(w.toString())).containsExactly(values);
  }
}
