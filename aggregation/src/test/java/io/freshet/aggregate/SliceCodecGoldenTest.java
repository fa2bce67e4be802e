package io.freshet.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.dsl.Aggregation;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Slice bytes are Flink state: a savepoint of an earlier version must restore. These bytes, one
 * slice with an accumulator of every aggregation kind, are pinned as {@link SliceCodec} draws them.
 */
class SliceCodecGoldenTest {

  static final List<Aggregation> ONE_OF_EACH =
      List.of(
          Aggregation.count(),
          Aggregation.sum("x"),
          Aggregation.min("x"),
          Aggregation.max("x"),
          Aggregation.avg("x"),
          Aggregation.first("x"),
          Aggregation.last("x"),
          Aggregation.countDistinct("x"),
          Aggregation.approxCountDistinct("x"),
          Aggregation.approxPercentile("x", 0.5),
          Aggregation.lastK("x", 2));

  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  void a_slice_of_every_kind_keeps_its_bytes() throws Exception {
    int n = ONE_OF_EACH.size() + 1;
    PartAggregator[] aggs = new PartAggregator[n];
    for (int i = 0; i < ONE_OF_EACH.size(); i++) {
      aggs[i] = PartAggregators.of(ONE_OF_EACH.get(i));
    }
    aggs[n - 1] = PartAggregators.of(Aggregation.count());
    Object[] accs = new Object[n];
    double[] numbers = {2.5, -1, 0.1, 300};
    String[] texts = {"b", "a", "é", "b"};
    long[] times = {1_000, 3_000, 2_000, 3_000};
    for (int i = 0; i < ONE_OF_EACH.size(); i++) {
      for (int e = 0; e < numbers.length; e++) {
        accs[i] = aggs[i].add(accs[i], numbers[e], texts[e], times[e]);
      }
    }
    SliceCodec codec = new SliceCodec(aggs);

    byte[] bytes = codec.encode(accs);

    assertThat(HexFormat.of().formatHex(bytes))
        .isEqualTo(
            "01ff070403bc98000000000000bd198000000000004072d9999999999abff00000000000004072c0000000000003bc98000000000000bd198000000000004072d9999999999a0400000000000003e80001620000000000000bb8000162030001610001620002c3a9140201070c030803080aff80042f823b048cfde0054805010f00c80008000400000000000000c8000100c4000000000000000000f0bf0000000000c072400000000000c072409a9999999999b93f000000000000f0bf0000000000000440020000000000000bb80001620000000000000bb8000161");
    Object[] back = codec.decode(bytes);
    for (int i = 0; i < ONE_OF_EACH.size(); i++) {
      assertThat(aggs[i].result(aggs[i].mergeInto(null, back[i])))
          .as(ONE_OF_EACH.get(i).describe())
          .isEqualTo(aggs[i].result(aggs[i].mergeInto(null, accs[i])));
    }
    assertThat(back[n - 1]).isNull();
  }
}
