package io.freshet.deploy.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The renderer draws with time from an injected clock: seconds here pass when the test says. */
class ProgressRendererTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final StringWriter text = new StringWriter();

  private ProgressRenderer renderer(ProgressStyle style) {
    return new ProgressRenderer(
        new PrintWriter(text, true), style, Duration.ofSeconds(5), nanos::get);
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void a_bar_is_redrawn_in_place_with_rate_and_time_left_then_ended_by_a_newline() {
    ProgressRenderer r = renderer(ProgressStyle.BAR);
    r.show(Progress.running("events read", "events", 0, 2_000_000));
    advance(Duration.ofSeconds(25));
    r.show(Progress.running("events read", "events", 1_040_000, 2_000_000));
    advance(Duration.ofSeconds(15));
    r.finish(Progress.finished("events read", "events", 2_000_000, 2_000_000));

    String[] draws = text.toString().split("\r", -1);
    assertThat(draws[0]).isEmpty();
    assertThat(draws[1].strip())
        .isEqualTo("events read [....................]   0% 0/2,000,000 events");
    // 1,040,000 events in 25 s: 41,600/s; 960,000 left at that rate: 23 s
    assertThat(draws[2].strip())
        .isEqualTo(
            "events read [##########..........]  52% 1,040,000/2,000,000 events  41,600 events/s"
                + "  ETA 0:23");
    assertThat(draws[3]).endsWith("\n");
    assertThat(draws[3].stripTrailing())
        .isEqualTo(
            "events read [####################] 100% 2,000,000/2,000,000 events  50,000 events/s"
                + "  in 0:40");
  }

  @Test
  void a_shorter_redraw_blanks_what_the_longer_one_left() {
    ProgressRenderer r = renderer(ProgressStyle.BAR);
    advance(Duration.ofSeconds(1));
    r.show(Progress.running("rows", "rows", 123_456, Progress.UNKNOWN));
    int first = text.toString().length();
    r.show(Progress.running("rows", "rows", 123_457, Progress.UNKNOWN));
    String second = text.toString().substring(first);
    assertThat(second).startsWith("\rrows 123,457 rows");
    assertThat(second.length()).isEqualTo(first);
  }

  @Test
  void plain_lines_come_every_interval_and_end_with_a_summary() {
    ProgressRenderer r = renderer(ProgressStyle.LINES);
    r.show(Progress.running("joining", "rows", 0, 1000));
    advance(Duration.ofSeconds(4));
    r.show(Progress.running("joining", "rows", 400, 1000));
    advance(Duration.ofSeconds(1));
    r.show(Progress.running("joining", "rows", 500, 1000));
    advance(Duration.ofSeconds(2));
    r.show(Progress.running("joining", "rows", 700, 1000));
    advance(Duration.ofSeconds(3));
    r.finish(Progress.finished("joining", "rows", 1000, 1000).withDetail("2 views"));

    assertThat(text.toString())
        .doesNotContain("\r")
        .isEqualTo(
            "joining: 50% 500/1,000 rows, 100 rows/s, ETA 0:05\n"
                + "joining: done, 1,000 rows (100%) in 10.0 s, 100 rows/s; 2 views\n");
  }

  @Test
  void an_unknown_total_shows_count_and_rate_and_a_known_share_gives_percent_and_eta() {
    ProgressRenderer r = renderer(ProgressStyle.LINES);
    r.show(Progress.running("reading labels", "labels", 0, Progress.UNKNOWN));
    advance(Duration.ofSeconds(5));
    r.show(Progress.running("reading labels", "labels", 300, Progress.UNKNOWN));
    advance(Duration.ofSeconds(5));
    r.show(Progress.running("reading labels", "labels", 600, Progress.UNKNOWN).withShare(0.25));
    assertThat(text.toString())
        .isEqualTo(
            "reading labels: 300 labels, 60 labels/s\n"
                + "reading labels: 25% 600 labels, 60 labels/s, ETA 0:30\n");
  }

  @Test
  void a_count_on_screen_never_goes_back() {
    ProgressRenderer r = renderer(ProgressStyle.BAR);
    advance(Duration.ofSeconds(1));
    r.show(Progress.running("events read", "events", 600, 1000));
    r.show(Progress.running("events read", "events", 450, 1000));
    String[] draws = text.toString().split("\r");
    assertThat(draws[2]).contains(" 60% 600/1,000 events");
  }

  @Test
  void a_new_task_ends_the_open_bar_and_abandon_ends_the_line_for_an_error() {
    ProgressRenderer r = renderer(ProgressStyle.BAR);
    r.show(Progress.running("reading labels", "labels", 10, Progress.UNKNOWN));
    r.show(Progress.running("joining", "rows", 0, 10));
    r.abandon();
    assertThat(text.toString())
        .isEqualTo("\rreading labels 10 labels\n\rjoining [....................]   0% 0/10 rows\n");
  }

  @Test
  void none_draws_nothing_and_styles_resolve_by_name_or_terminal() {
    ProgressRenderer r = renderer(ProgressStyle.NONE);
    r.show(Progress.running("x", "rows", 1, 2));
    r.finish(Progress.finished("x", "rows", 2, 2));
    assertThat(text.toString()).isEmpty();
    assertThat(ProgressStyle.resolve("auto", () -> true)).isEqualTo(ProgressStyle.BAR);
    assertThat(ProgressStyle.resolve("auto", () -> false)).isEqualTo(ProgressStyle.LINES);
    assertThat(ProgressStyle.resolve("Lines", () -> true)).isEqualTo(ProgressStyle.LINES);
    assertThatThrownBy(() -> ProgressStyle.resolve("fancy", () -> true))
        .hasMessage("'fancy' is not a progress style: write auto, bar, lines or none");
  }

  @Test
  void long_runs_count_hours() {
    assertThat(ProgressRenderer.clock(Duration.ofSeconds(3723).toNanos())).isEqualTo("1:02:03");
    assertThat(ProgressRenderer.clock(Duration.ofSeconds(26).toNanos())).isEqualTo("0:26");
  }
}
