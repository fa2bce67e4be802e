package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.FeatureType;
import org.junit.jupiter.api.Test;

class CsvValuesTest {
  @Test
  void string_lists_become_json_arrays() {
    assertThat(CsvValues.render(FeatureType.STRING_LIST, "{}")).isEqualTo("[]");
    assertThat(CsvValues.render(FeatureType.STRING_LIST, "{a,\"b c\",NULL,\"NULL\",\"q\\\"\\\\\"}"))
        .isEqualTo("[\"a\",\"b c\",null,\"NULL\",\"q\\\"\\\\\"]");
    assertThat(CsvValues.render(FeatureType.STRING_LIST, "{\"x,y\",\"\"}"))
        .isEqualTo("[\"x,y\",\"\"]");
    assertThat(CsvValues.render(FeatureType.STRING_LIST, "{\"tab\there\"}"))
        .isEqualTo("[\"tab\\there\"]");
  }

  @Test
  void other_types_pass_postgres_text_through() {
    assertThat(CsvValues.render(FeatureType.FLOAT64, "1e+20")).isEqualTo("1e+20");
    assertThat(CsvValues.render(FeatureType.INT64, "-3")).isEqualTo("-3");
    assertThat(CsvValues.render(FeatureType.STRING, "{not a list}")).isEqualTo("{not a list}");
    assertThat(CsvValues.render(FeatureType.STRING_LIST, null)).isNull();
  }
}
