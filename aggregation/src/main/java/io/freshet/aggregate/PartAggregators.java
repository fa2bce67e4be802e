package io.freshet.aggregate;

import io.freshet.dsl.Aggregation;
import io.freshet.storage.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/** The {@link PartAggregator} of each aggregation kind. */
public final class PartAggregators {
  private PartAggregators() {}

  /** The aggregator of an aggregated part, chosen by its kind. */
  public static PartAggregator<?, ?> of(Aggregation a) {
    return switch (a.kind()) {
      case COUNT -> new CountAgg();
      case SUM -> new SumAgg();
      case MIN -> new ExtremeAgg(false);
      case MAX -> new ExtremeAgg(true);
      case AVG -> new AvgAgg();
      case FIRST -> new PickAgg(false);
      case LAST -> new PickAgg(true);
      case COUNT_DISTINCT -> new DistinctAgg();
      case APPROX_COUNT_DISTINCT -> new HllAgg(((Aggregation.ApproxCountDistinct) a).lgK());
      case APPROX_PERCENTILE -> {
        Aggregation.ApproxPercentile q = (Aggregation.ApproxPercentile) a;
        yield new KllAgg(q.quantile(), q.k());
      }
      case LAST_K -> new LastKAgg(((Aggregation.LastK) a).k());
      case LAST_EVENT_TIME -> new LastEventTimeAgg();
    };
  }

  /**
   * The aggregator of a part with its types erased, for the operator, which keeps the accumulators
   * of parts of different kinds side by side in one array; each accumulator is only ever handed
   * back to the aggregator that made it.
   */
  @SuppressWarnings("unchecked")
  public static PartAggregator<Object, Object> erased(Aggregation a) {
    return (PartAggregator<Object, Object>) of(a);
  }

  /** A mutable long. */
  static final class LongCell {
    long value;

    LongCell(long value) {
      this.value = value;
    }
  }

  /** A mutable double. */
  static final class DoubleCell {
    double value;

    DoubleCell(double value) {
      this.value = value;
    }
  }

  /** Counts events; 0 over an empty window. */
  static final class CountAgg implements PartAggregator<LongCell, LongCell> {
    private static final long serialVersionUID = 1L;

    @Override
    public LongCell add(LongCell acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      if (acc == null) {
        return new LongCell(1);
      }
      acc.value++;
      return acc;
    }

    @Override
    public LongCell mergeInto(LongCell into, LongCell from) {
      long v = from.value;
      if (into == null) {
        return new LongCell(v);
      }
      into.value += v;
      return into;
    }

    @Override
    public Object result(LongCell acc) {
      return acc == null ? 0L : acc.value;
    }

    @Override
    public void write(DataOutput out, LongCell acc) throws IOException {
      Varints.write(out, acc.value);
    }

    @Override
    public LongCell read(DataInput in) throws IOException {
      return new LongCell(Varints.read(in, "window state"));
    }
  }

  /** The greatest event time, in epoch milliseconds; null over an empty window. */
  static final class LastEventTimeAgg implements PartAggregator<LongCell, LongCell> {
    private static final long serialVersionUID = 1L;

    @Override
    public LongCell add(LongCell acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      if (acc == null) {
        return new LongCell(ts);
      }
      acc.value = Math.max(acc.value, ts);
      return acc;
    }

    @Override
    public LongCell mergeInto(LongCell into, LongCell from) {
      if (into == null) {
        return new LongCell(from.value);
      }
      into.value = Math.max(into.value, from.value);
      return into;
    }

    @Override
    public Object result(LongCell acc) {
      return acc == null ? null : acc.value;
    }

    @Override
    public void write(DataOutput out, LongCell acc) throws IOException {
      Varints.write(out, acc.value);
    }

    @Override
    public LongCell read(DataInput in) throws IOException {
      return new LongCell(Varints.read(in, "window state"));
    }
  }

  /** Sums numbers exactly (see {@link ExactSum}); 0 over an empty window. */
  static final class SumAgg implements PartAggregator<ExactSum, ExactSum> {
    private static final long serialVersionUID = 1L;

    @Override
    public ExactSum add(ExactSum acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      ExactSum s = acc == null ? new ExactSum() : acc;
      s.add(number);
      return s;
    }

    @Override
    public ExactSum mergeInto(ExactSum into, ExactSum from) {
      ExactSum s = into == null ? new ExactSum() : into;
      s.addAll(from);
      return s;
    }

    @Override
    public Object result(ExactSum acc) {
      return acc == null ? 0.0 : acc.value();
    }

    @Override
    public void write(DataOutput out, ExactSum acc) throws IOException {
      acc.write(out);
    }

    @Override
    public ExactSum read(DataInput in) throws IOException {
      return ExactSum.read(in);
    }
  }

  /** The minimum or maximum; null over an empty window. */
  static final class ExtremeAgg implements PartAggregator<DoubleCell, DoubleCell> {
    private static final long serialVersionUID = 1L;
    private final boolean max;

    ExtremeAgg(boolean max) {
      this.max = max;
    }

    private double pick(double a, double b) {
      return max ? Math.max(a, b) : Math.min(a, b);
    }

    @Override
    public DoubleCell add(DoubleCell acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      if (acc == null) {
        return new DoubleCell(number);
      }
      acc.value = pick(acc.value, number);
      return acc;
    }

    @Override
    public DoubleCell mergeInto(DoubleCell into, DoubleCell from) {
      double v = from.value;
      if (into == null) {
        return new DoubleCell(v);
      }
      into.value = pick(into.value, v);
      return into;
    }

    @Override
    public Object result(DoubleCell acc) {
      return acc == null ? null : acc.value;
    }

    @Override
    public void write(DataOutput out, DoubleCell acc) throws IOException {
      out.writeDouble(acc.value);
    }

    @Override
    public DoubleCell read(DataInput in) throws IOException {
      return new DoubleCell(in.readDouble());
    }
  }

  /** The mean, as an exact sum and a count; null over an empty window. */
  static final class AvgAgg implements PartAggregator<AvgAgg.Acc, AvgAgg.Acc> {
    private static final long serialVersionUID = 1L;

    /** Sum and count. */
    static final class Acc {
      final ExactSum sum = new ExactSum();
      long count;
    }

    @Override
    public AvgAgg.Acc add(AvgAgg.Acc acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      Acc a = acc == null ? new Acc() : acc;
      a.sum.add(number);
      a.count++;
      return a;
    }

    @Override
    public AvgAgg.Acc mergeInto(AvgAgg.Acc into, AvgAgg.Acc from) {
      Acc a = into == null ? new Acc() : into;
      a.sum.addAll(from.sum);
      a.count += from.count;
      return a;
    }

    @Override
    public Object result(AvgAgg.Acc acc) {
      return acc == null ? null : acc.sum.value() / acc.count;
    }

    @Override
    public void write(DataOutput out, AvgAgg.Acc acc) throws IOException {
      acc.sum.write(out);
      Varints.write(out, acc.count);
    }

    @Override
    public AvgAgg.Acc read(DataInput in) throws IOException {
      Acc a = new Acc();
      a.sum.addAll(ExactSum.read(in));
      a.count = Varints.read(in, "window state");
      return a;
    }
  }

  /** A value and the event time it was seen at. */
  record Pick(long ts, String value) {}

  /**
   * The value on the latest (or earliest) event. Ties on event time go to the greatest value for
   * last and the smallest for first, so the result never depends on arrival order.
   */
  static final class PickAgg implements PartAggregator<Pick, Pick> {
    private static final long serialVersionUID = 1L;
    private final boolean last;

    PickAgg(boolean last) {
      this.last = last;
    }

    private boolean better(long ts, String v, Pick current) {
      if (ts != current.ts()) {
        return last ? ts > current.ts() : ts < current.ts();
      }
      int c = v.compareTo(current.value());
      return last ? c > 0 : c < 0;
    }

    @Override
    public Pick add(Pick acc, double number, String text, long ts) {
      if (text == null) {
        return acc;
      }
      if (acc == null || better(ts, text, acc)) {
        return new Pick(ts, text);
      }
      return acc;
    }

    @Override
    public Pick mergeInto(Pick into, Pick from) {
      if (into == null || better(from.ts(), from.value(), into)) {
        return from;
      }
      return into;
    }

    @Override
    public Object result(Pick acc) {
      return acc == null ? null : acc.value();
    }

    @Override
    public void write(DataOutput out, Pick acc) throws IOException {
      out.writeLong(acc.ts());
      out.writeUTF(acc.value());
    }

    @Override
    public Pick read(DataInput in) throws IOException {
      return new Pick(in.readLong(), in.readUTF());
    }
  }

  /** The exact number of distinct values: a set per slice, unioned per window. */
  static final class DistinctAgg implements PartAggregator<Set<String>, Set<String>> {
    private static final long serialVersionUID = 1L;

    @Override
    public Set<String> add(Set<String> acc, double number, String text, long ts) {
      if (text == null) {
        return acc;
      }
      Set<String> set = acc == null ? new HashSet<>() : acc;
      set.add(text);
      return set;
    }

    @Override
    public Set<String> mergeInto(Set<String> into, Set<String> from) {
      Set<String> set = into == null ? new HashSet<>() : into;
      set.addAll(from);
      return set;
    }

    @Override
    public Object result(Set<String> acc) {
      return acc == null ? 0L : (long) acc.size();
    }

    @Override
    public void write(DataOutput out, Set<String> acc) throws IOException {
      Varints.write(out, acc.size());
      for (String s : acc) {
        out.writeUTF(s);
      }
    }

    @Override
    public Set<String> read(DataInput in) throws IOException {
      int n = (int) Varints.read(in, "window state");
      Set<String> set = new HashSet<>(Math.max(4, n * 2));
      for (int i = 0; i < n; i++) {
        set.add(in.readUTF());
      }
      return set;
    }
  }

  /** Approximate distinct count with an HLL sketch per slice and a union per window. */
  static final class HllAgg implements PartAggregator<HllSketch, Union> {
    private static final long serialVersionUID = 1L;
    private final int lgK;

    HllAgg(int lgK) {
      this.lgK = lgK;
    }

    @Override
    public HllSketch add(HllSketch acc, double number, String text, long ts) {
      if (text == null) {
        return acc;
      }
      HllSketch s = acc == null ? new HllSketch(lgK, TgtHllType.HLL_8) : acc;
      s.update(text);
      return s;
    }

    @Override
    public Union mergeInto(Union into, HllSketch from) {
      Union u = into == null ? new Union(lgK) : into;
      u.update(from);
      return u;
    }

    @Override
    public HllSketch fold(HllSketch into, HllSketch from) {
      Union u = new Union(lgK);
      if (into != null) {
        u.update(into);
      }
      u.update(from);
      return u.getResult(TgtHllType.HLL_8);
    }

    @Override
    public Object result(Union acc) {
      return acc == null ? 0L : Math.round(acc.getEstimate());
    }

    @Override
    public void write(DataOutput out, HllSketch acc) throws IOException {
      byte[] b = acc.toCompactByteArray();
      Varints.write(out, b.length);
      out.write(b);
    }

    @Override
    public HllSketch read(DataInput in) throws IOException {
      byte[] b = new byte[(int) Varints.read(in, "window state")];
      in.readFully(b);
      return HllSketch.heapify(b);
    }
  }

  /** Approximate quantile with a KLL sketch per slice, merged per window. */
  static final class KllAgg implements PartAggregator<KllDoublesSketch, KllDoublesSketch> {
    private static final long serialVersionUID = 1L;
    private final double quantile;
    private final int k;

    KllAgg(double quantile, int k) {
      this.quantile = quantile;
      this.k = k;
    }

    @Override
    public KllDoublesSketch add(KllDoublesSketch acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      KllDoublesSketch s = acc == null ? KllDoublesSketch.newHeapInstance(k) : acc;
      s.update(number);
      return s;
    }

    @Override
    public KllDoublesSketch mergeInto(KllDoublesSketch into, KllDoublesSketch from) {
      KllDoublesSketch s = into == null ? KllDoublesSketch.newHeapInstance(k) : into;
      s.merge(from);
      return s;
    }

    @Override
    public Object result(KllDoublesSketch acc) {
      if (acc == null || acc.isEmpty()) {
        return null;
      }
      return acc.getQuantile(quantile, QuantileSearchCriteria.INCLUSIVE);
    }

    @Override
    public void write(DataOutput out, KllDoublesSketch acc) throws IOException {
      byte[] b = acc.toByteArray();
      Varints.write(out, b.length);
      out.write(b);
    }

    @Override
    public KllDoublesSketch read(DataInput in) throws IOException {
      byte[] b = new byte[(int) Varints.read(in, "window state")];
      in.readFully(b);
      return KllDoublesSketch.heapify(Memory.wrap(b));
    }
  }

  /**
   * The values of the k latest events, newest first; ties on event time put the greater value
   * first. A slice keeps its own k latest, which is all a window can need from it.
   */
  static final class LastKAgg implements PartAggregator<List<Pick>, List<Pick>> {
    private static final long serialVersionUID = 1L;
    private final int k;

    LastKAgg(int k) {
      this.k = k;
    }

    private static int newestFirst(Pick a, Pick b) {
      int c = Long.compare(b.ts(), a.ts());
      return c != 0 ? c : b.value().compareTo(a.value());
    }

    private void insert(List<Pick> list, Pick p) {
      int i = Collections.binarySearch(list, p, LastKAgg::newestFirst);
      int at = i >= 0 ? i : -i - 1;
      if (at >= k) {
        return;
      }
      list.add(at, p);
      if (list.size() > k) {
        list.remove(list.size() - 1);
      }
    }

    @Override
    public List<Pick> add(List<Pick> acc, double number, String text, long ts) {
      if (text == null) {
        return acc;
      }
      List<Pick> list = acc == null ? new ArrayList<>(k) : acc;
      insert(list, new Pick(ts, text));
      return list;
    }

    @Override
    public List<Pick> mergeInto(List<Pick> into, List<Pick> from) {
      List<Pick> list = into == null ? new ArrayList<>(k) : into;
      for (Pick p : from) {
        insert(list, p);
      }
      return list;
    }

    @Override
    public Object result(List<Pick> acc) {
      if (acc == null) {
        return List.of();
      }
      return acc.stream().map(Pick::value).toList();
    }

    @Override
    public void write(DataOutput out, List<Pick> acc) throws IOException {
      Varints.write(out, acc.size());
      for (Pick p : acc) {
        out.writeLong(p.ts());
        out.writeUTF(p.value());
      }
    }

    @Override
    public List<Pick> read(DataInput in) throws IOException {
      int n = (int) Varints.read(in, "window state");
      List<Pick> list = new ArrayList<>(k);
      for (int i = 0; i < n; i++) {
        list.add(new Pick(in.readLong(), in.readUTF()));
      }
      return list;
    }
  }
}
