package io.freshet.flink.window.agg;

import io.freshet.dsl.Aggregation;
import io.freshet.storage.Varints;
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
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/** The {@link PartAggregator} of each aggregation kind. */
public final class PartAggregators {
  private PartAggregators() {}

  /** The aggregator for an aggregation of the DSL. */
  public static PartAggregator of(Aggregation a) {
    if (a instanceof Aggregation.Count) {
      return new CountAgg();
    } else if (a instanceof Aggregation.Sum) {
      return new SumAgg();
    } else if (a instanceof Aggregation.Min) {
      return new ExtremeAgg(false);
    } else if (a instanceof Aggregation.Max) {
      return new ExtremeAgg(true);
    } else if (a instanceof Aggregation.Avg) {
      return new AvgAgg();
    } else if (a instanceof Aggregation.First) {
      return new PickAgg(false);
    } else if (a instanceof Aggregation.Last) {
      return new PickAgg(true);
    } else if (a instanceof Aggregation.CountDistinct) {
      return new DistinctAgg();
    } else if (a instanceof Aggregation.ApproxCountDistinct h) {
      return new HllAgg(h.lgK());
    } else if (a instanceof Aggregation.ApproxPercentile q) {
      return new KllAgg(q.quantile(), q.k());
    } else if (a instanceof Aggregation.LastK k) {
      return new LastKAgg(k.k());
    }
    throw new IllegalArgumentException("no aggregator for " + a);
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
  static final class CountAgg implements PartAggregator {
    private static final long serialVersionUID = 1L;

    @Override
    public Object add(Object acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      if (acc == null) {
        return new LongCell(1);
      }
      ((LongCell) acc).value++;
      return acc;
    }

    @Override
    public Object mergeInto(Object into, Object from) {
      long v = ((LongCell) from).value;
      if (into == null) {
        return new LongCell(v);
      }
      ((LongCell) into).value += v;
      return into;
    }

    @Override
    public Object result(Object acc) {
      return acc == null ? 0L : ((LongCell) acc).value;
    }

    @Override
    public void write(DataOutputView out, Object acc) throws IOException {
      Varints.write(out, ((LongCell) acc).value);
    }

    @Override
    public Object read(DataInputView in) throws IOException {
      return new LongCell(Varints.read(in, "window state"));
    }
  }

  /** Sums numbers exactly (see {@link ExactSum}); 0 over an empty window. */
  static final class SumAgg implements PartAggregator {
    private static final long serialVersionUID = 1L;

    @Override
    public Object add(Object acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      ExactSum s = acc == null ? new ExactSum() : (ExactSum) acc;
      s.add(number);
      return s;
    }

    @Override
    public Object mergeInto(Object into, Object from) {
      ExactSum s = into == null ? new ExactSum() : (ExactSum) into;
      s.addAll((ExactSum) from);
      return s;
    }

    @Override
    public Object result(Object acc) {
      return acc == null ? 0.0 : ((ExactSum) acc).value();
    }

    @Override
    public void write(DataOutputView out, Object acc) throws IOException {
      ((ExactSum) acc).write(out);
    }

    @Override
    public Object read(DataInputView in) throws IOException {
      return ExactSum.read(in);
    }
  }

  /** The minimum or maximum; null over an empty window. */
  static final class ExtremeAgg implements PartAggregator {
    private static final long serialVersionUID = 1L;
    private final boolean max;

    ExtremeAgg(boolean max) {
      this.max = max;
    }

    private double pick(double a, double b) {
      return max ? Math.max(a, b) : Math.min(a, b);
    }

    @Override
    public Object add(Object acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      if (acc == null) {
        return new DoubleCell(number);
      }
      DoubleCell c = (DoubleCell) acc;
      c.value = pick(c.value, number);
      return acc;
    }

    @Override
    public Object mergeInto(Object into, Object from) {
      double v = ((DoubleCell) from).value;
      if (into == null) {
        return new DoubleCell(v);
      }
      DoubleCell c = (DoubleCell) into;
      c.value = pick(c.value, v);
      return into;
    }

    @Override
    public Object result(Object acc) {
      return acc == null ? null : ((DoubleCell) acc).value;
    }

    @Override
    public void write(DataOutputView out, Object acc) throws IOException {
      out.writeDouble(((DoubleCell) acc).value);
    }

    @Override
    public Object read(DataInputView in) throws IOException {
      return new DoubleCell(in.readDouble());
    }
  }

  /** The mean, as an exact sum and a count; null over an empty window. */
  static final class AvgAgg implements PartAggregator {
    private static final long serialVersionUID = 1L;

    /** Sum and count. */
    static final class Acc {
      final ExactSum sum = new ExactSum();
      long count;
    }

    @Override
    public Object add(Object acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      Acc a = acc == null ? new Acc() : (Acc) acc;
      a.sum.add(number);
      a.count++;
      return a;
    }

    @Override
    public Object mergeInto(Object into, Object from) {
      Acc f = (Acc) from;
      Acc a = into == null ? new Acc() : (Acc) into;
      a.sum.addAll(f.sum);
      a.count += f.count;
      return a;
    }

    @Override
    public Object result(Object acc) {
      return acc == null ? null : ((Acc) acc).sum.value() / ((Acc) acc).count;
    }

    @Override
    public void write(DataOutputView out, Object acc) throws IOException {
      ((Acc) acc).sum.write(out);
      Varints.write(out, ((Acc) acc).count);
    }

    @Override
    public Object read(DataInputView in) throws IOException {
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
  static final class PickAgg implements PartAggregator {
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
    public Object add(Object acc, double number, String text, long ts) {
      if (text == null) {
        return acc;
      }
      if (acc == null || better(ts, text, (Pick) acc)) {
        return new Pick(ts, text);
      }
      return acc;
    }

    @Override
    public Object mergeInto(Object into, Object from) {
      Pick f = (Pick) from;
      if (into == null || better(f.ts(), f.value(), (Pick) into)) {
        return f;
      }
      return into;
    }

    @Override
    public Object result(Object acc) {
      return acc == null ? null : ((Pick) acc).value();
    }

    @Override
    public void write(DataOutputView out, Object acc) throws IOException {
      out.writeLong(((Pick) acc).ts());
      out.writeUTF(((Pick) acc).value());
    }

    @Override
    public Object read(DataInputView in) throws IOException {
      return new Pick(in.readLong(), in.readUTF());
    }
  }

  /** The exact number of distinct values: a set per slice, unioned per window. */
  static final class DistinctAgg implements PartAggregator {
    private static final long serialVersionUID = 1L;

    @Override
    @SuppressWarnings("unchecked")
    public Object add(Object acc, double number, String text, long ts) {
      if (text == null) {
        return acc;
      }
      Set<String> set = acc == null ? new HashSet<>() : (Set<String>) acc;
      set.add(text);
      return set;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object mergeInto(Object into, Object from) {
      Set<String> set = into == null ? new HashSet<>() : (Set<String>) into;
      set.addAll((Set<String>) from);
      return set;
    }

    @Override
    public Object result(Object acc) {
      return acc == null ? 0L : (long) ((Set<?>) acc).size();
    }

    @Override
    public void write(DataOutputView out, Object acc) throws IOException {
      Set<?> set = (Set<?>) acc;
      Varints.write(out, set.size());
      for (Object s : set) {
        out.writeUTF((String) s);
      }
    }

    @Override
    public Object read(DataInputView in) throws IOException {
      int n = (int) Varints.read(in, "window state");
      Set<String> set = new HashSet<>(Math.max(4, n * 2));
      for (int i = 0; i < n; i++) {
        set.add(in.readUTF());
      }
      return set;
    }
  }

  /** Approximate distinct count with an HLL sketch per slice and a union per window. */
  static final class HllAgg implements PartAggregator {
    private static final long serialVersionUID = 1L;
    private final int lgK;

    HllAgg(int lgK) {
      this.lgK = lgK;
    }

    @Override
    public Object add(Object acc, double number, String text, long ts) {
      if (text == null) {
        return acc;
      }
      HllSketch s = acc == null ? new HllSketch(lgK, TgtHllType.HLL_8) : (HllSketch) acc;
      s.update(text);
      return s;
    }

    @Override
    public Object mergeInto(Object into, Object from) {
      Union u = into == null ? new Union(lgK) : (Union) into;
      u.update((HllSketch) from);
      return u;
    }

    @Override
    public Object result(Object acc) {
      return acc == null ? 0L : Math.round(((Union) acc).getEstimate());
    }

    @Override
    public void write(DataOutputView out, Object acc) throws IOException {
      byte[] b = ((HllSketch) acc).toCompactByteArray();
      Varints.write(out, b.length);
      out.write(b);
    }

    @Override
    public Object read(DataInputView in) throws IOException {
      byte[] b = new byte[(int) Varints.read(in, "window state")];
      in.readFully(b);
      return HllSketch.heapify(b);
    }
  }

  /** Approximate quantile with a KLL sketch per slice, merged per window. */
  static final class KllAgg implements PartAggregator {
    private static final long serialVersionUID = 1L;
    private final double quantile;
    private final int k;

    KllAgg(double quantile, int k) {
      this.quantile = quantile;
      this.k = k;
    }

    @Override
    public Object add(Object acc, double number, String text, long ts) {
      if (Double.isNaN(number)) {
        return acc;
      }
      KllDoublesSketch s =
          acc == null ? KllDoublesSketch.newHeapInstance(k) : (KllDoublesSketch) acc;
      s.update(number);
      return s;
    }

    @Override
    public Object mergeInto(Object into, Object from) {
      KllDoublesSketch s =
          into == null ? KllDoublesSketch.newHeapInstance(k) : (KllDoublesSketch) into;
      s.merge((KllDoublesSketch) from);
      return s;
    }

    @Override
    public Object result(Object acc) {
      if (acc == null || ((KllDoublesSketch) acc).isEmpty()) {
        return null;
      }
      return ((KllDoublesSketch) acc).getQuantile(quantile, QuantileSearchCriteria.INCLUSIVE);
    }

    @Override
    public void write(DataOutputView out, Object acc) throws IOException {
      byte[] b = ((KllDoublesSketch) acc).toByteArray();
      Varints.write(out, b.length);
      out.write(b);
    }

    @Override
    public Object read(DataInputView in) throws IOException {
      byte[] b = new byte[(int) Varints.read(in, "window state")];
      in.readFully(b);
      return KllDoublesSketch.heapify(Memory.wrap(b));
    }
  }

  /**
   * The values of the k latest events, newest first; ties on event time put the greater value
   * first. A slice keeps its own k latest, which is all a window can need from it.
   */
  static final class LastKAgg implements PartAggregator {
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
    @SuppressWarnings("unchecked")
    public Object add(Object acc, double number, String text, long ts) {
      if (text == null) {
        return acc;
      }
      List<Pick> list = acc == null ? new ArrayList<>(k) : (List<Pick>) acc;
      insert(list, new Pick(ts, text));
      return list;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object mergeInto(Object into, Object from) {
      List<Pick> list = into == null ? new ArrayList<>(k) : (List<Pick>) into;
      for (Pick p : (List<Pick>) from) {
        insert(list, p);
      }
      return list;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object result(Object acc) {
      if (acc == null) {
        return List.of();
      }
      return ((List<Pick>) acc).stream().map(Pick::value).toList();
    }

    @Override
    @SuppressWarnings("unchecked")
    public void write(DataOutputView out, Object acc) throws IOException {
      List<Pick> list = (List<Pick>) acc;
      Varints.write(out, list.size());
      for (Pick p : list) {
        out.writeLong(p.ts());
        out.writeUTF(p.value());
      }
    }

    @Override
    public Object read(DataInputView in) throws IOException {
      int n = (int) Varints.read(in, "window state");
      List<Pick> list = new ArrayList<>(k);
      for (int i = 0; i < n; i++) {
        list.add(new Pick(in.readLong(), in.readUTF()));
      }
      return list;
    }
  }
}
