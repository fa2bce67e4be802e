package io.freshet.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Median and spread of repeated measurements. */
final class Stats {
  private Stats() {}

  static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = a.length;
    return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  }

  static Map<String, Object> summary(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("median", median(xs));
    m.put("min", a[0]);
    m.put("max", a[a.length - 1]);
    m.put("spreadPercent", a[0] == 0 ? 0 : 100.0 * (a[a.length - 1] - a[0]) / median(xs));
    m.put("values", Arrays.stream(a).boxed().toList());
    return m;
  }
}
