package io.freshet.deploy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.deploy.progress.Progress;
import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lines of a backfill input are counted as Flink's text-line format reads them. */
class InputLinesTest {
  @TempDir Path dir;

  @Test
  void counts_lines_ending_in_lf_cr_or_crlf_and_a_last_line_without_one() throws Exception {
    for (String text :
        new String[] {
          "", "a", "a\n", "a\nb", "a\r\nb\r\n", "a\rb\rc", "\n\n", "a\r\n\r\nb", "{\"x\":1}\r"
        }) {
      Path f = dir.resolve("events.jsonl");
      Files.writeString(f, text);
      // the oracle: what BufferedReader.readLine, which the text-line format uses, returns
      long expected = new BufferedReader(new StringReader(text)).lines().count();
      assertThat(InputLines.count(f))
          .as("'%s'", text.replace("\r", "\\r").replace("\n", "\\n"))
          .isEqualTo(expected);
    }
  }

  @Test
  void a_folder_counts_the_files_the_source_reads_and_compressed_ones_are_unknown()
      throws Exception {
    Files.createDirectories(dir.resolve("in/day=1"));
    Files.writeString(dir.resolve("in/a.jsonl"), "1\n2\n");
    Files.writeString(dir.resolve("in/day=1/b.jsonl"), "3\n4\n5");
    Files.writeString(dir.resolve("in/.hidden.jsonl"), "x\n");
    Files.writeString(dir.resolve("in/_SUCCESS"), "x\n");
    assertThat(InputLines.count(dir.resolve("in"))).isEqualTo(5);

    Files.write(dir.resolve("in/c.jsonl.gz"), "6\n".getBytes(StandardCharsets.UTF_8));
    assertThat(InputLines.count(dir.resolve("in"))).isEqualTo(Progress.UNKNOWN);
    assertThat(InputLines.count(dir.resolve("missing.jsonl"))).isEqualTo(Progress.UNKNOWN);
  }
}
