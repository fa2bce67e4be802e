package io.freshet.aggregate.event;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.examples.UserActivity;
import io.freshet.plan.ViewPlan;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventDecoderTest {
  private final EventDecoder decoder = new EventDecoder(ViewPlan.of(UserActivity.view()));

  @Test
  void decodes_a_purchase_into_one_input_per_part() {
    Decoded d =
        decoder.decode(
            "{\"user_id\":\"u1\",\"event_type\":\"purchase\",\"revenue\":19.99,"
                + "\"session_id\":\"s1\",\"platform\":\"ios\","
                + "\"event_ts\":\"2026-11-23T12:00:00Z\"}",
            "t/0@1");
    assertThat(d.isOk()).isTrue();
    assertThat(d.event().key).isEqualTo("u1");
    assertThat(d.event().timestamp).isEqualTo(1_795_435_200_000L);
    assertThat(d.event().numbers)
        .containsExactly(1.0, 1.0, 19.99, Double.NaN, Double.NaN, Double.NaN);
    assertThat(d.event().texts).containsExactly(null, null, null, "s1", null, "ios");
  }

  @Test
  void a_view_counts_but_adds_no_purchase_or_revenue() {
    Decoded d =
        decoder.decode(
            "{\"user_id\":\"u1\",\"event_type\":\"view\",\"revenue\":5,\"event_ts\":1795435200000}",
            "t/0@1");
    assertThat(d.event().numbers)
        .containsExactly(1.0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    assertThat(d.event().texts).isNull();
  }

  @Test
  void accepts_epoch_millis_as_string_and_offsets_in_iso_times() {
    assertThat(
            decoder
                .decode("{\"user_id\":\"u\",\"event_ts\":\"1795435200000\"}", "o")
                .event()
                .timestamp)
        .isEqualTo(1_795_435_200_000L);
    assertThat(
            decoder
                .decode("{\"user_id\":\"u\",\"event_ts\":\"2026-11-23T13:00:00+01:00\"}", "o")
                .event()
                .timestamp)
        .isEqualTo(1_795_435_200_000L);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unparseable|{\"user_id\":\"u\",|unparseable JSON",
        "array|[1,2]|not a JSON object",
        "missing key|{\"event_ts\":1795435200000}|missing entity key field 'user_id'",
        "null key|{\"user_id\":null,\"event_ts\":1795435200000}|missing entity key field 'user_id'",
        "object key|{\"user_id\":{},\"event_ts\":1795435200000}|entity key field 'user_id' must be a"
            + " string or integer, got OBJECT",
        "empty key|{\"user_id\":\"\",\"event_ts\":1795435200000}|entity key field 'user_id' is empty",
        "missing time|{\"user_id\":\"u\"}|missing event time field 'event_ts'",
        "bad time|{\"user_id\":\"u\",\"event_ts\":\"yesterday\"}|event time field 'event_ts' is not an"
            + " ISO-8601 instant or epoch milliseconds: 'yesterday'",
        "bool time|{\"user_id\":\"u\",\"event_ts\":true}|event time field 'event_ts' must be an"
            + " ISO-8601 string or epoch milliseconds, got BOOLEAN",
        "ancient time|{\"user_id\":\"u\",\"event_ts\":1000}|is before 2000-01-01",
        "future time|{\"user_id\":\"u\",\"event_ts\":\"2999-01-01T00:00:00Z\"}|in the future",
        "revenue type|{\"user_id\":\"u\",\"event_type\":\"purchase\",\"revenue\":\"12\","
            + "\"event_ts\":1795435200000}|field 'revenue' must be a number, got STRING",
        "platform type|{\"user_id\":\"u\",\"platform\":[1],\"event_ts\":1795435200000}|field"
            + " 'platform' must be a string or number, got ARRAY",
      })
  void rejects_bad_events_with_a_reason(String name, String json, String reason) {
    Decoded d = decoder.decode(json, "t/0@7");
    assertThat(d.isOk()).isFalse();
    assertThat(d.rejection()).contains(reason);
    assertThat(d.raw()).isEqualTo(json);
    assertThat(d.origin()).isEqualTo("t/0@7");
  }

  @Test
  void rejects_oversized_payloads_keeping_their_head() {
    byte[] big =
        ("{\"user_id\":\"u\",\"pad\":\"" + "x".repeat(70_000) + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    Decoded d = decoder.decode(big, "t/0@9");
    assertThat(d.isOk()).isFalse();
    assertThat(d.rejection()).isEqualTo("payload of 70024 bytes exceeds the limit of 65536");
    assertThat(d.raw()).hasSize(1024);
  }

  @Test
  void rejects_null_records() {
    assertThat(decoder.decode((byte[]) null, "t/0@1").rejection())
        .isEqualTo("empty record (null value)");
  }
}
