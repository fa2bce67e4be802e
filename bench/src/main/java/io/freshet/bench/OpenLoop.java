package io.freshet.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Load at a fixed rate, open loop: request {@code i} is due at {@code t0 + i / rate} whether or not
 * earlier ones have answered, and its latency is measured from when it was due, so a stalled server
 * is charged for every request it delayed (no coordinated omission).
 *
 * <p>Every request ends in exactly one of: answered 200, answered otherwise or failed (an error),
 * or not answered within {@code timeout} (a timeout, recorded in the histogram at the time it was
 * given up, a lower bound of its latency). None is left out of the counts or the histogram, and no
 * wait is unbounded.
 */
final class OpenLoop {
  /** Requests in flight beyond which a run stops sending and is marked saturated. */
  static final long MAX_OUTSTANDING = 50_000;

  private OpenLoop() {}

  /** One fixed-rate run: warm-up seconds (not recorded), then measured seconds. */
  record Plan(int rate, double warmupSeconds, double seconds, long timeoutMillis) {}

  /** Sends at {@code rate}/s for warmup + measured seconds; returns latency in milliseconds. */
  static Map<String, Object> run(Plan plan, LongFunction<CompletionStage<Integer>> op)
      throws InterruptedException {
    Recorder rec = new Recorder(3);
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicLong timeouts = new AtomicLong();
    AtomicLong outstanding = new AtomicLong();
    long period = Math.max(1, 1_000_000_000L / plan.rate());
    long total = Math.round(plan.rate() * (plan.warmupSeconds() + plan.seconds()));
    long warm = Math.round(plan.rate() * plan.warmupSeconds());
    long t0 = System.nanoTime();
    long sent = 0;
    long measuredSent = 0;
    boolean saturated = false;
    for (long i = 0; i < total; i++) {
      long due = t0 + i * period;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      if (outstanding.get() > MAX_OUTSTANDING) {
        saturated = true;
        break;
      }
      boolean record = i >= warm;
      outstanding.incrementAndGet();
      CompletableFuture<Integer> f;
      try {
        f = op.apply(i).toCompletableFuture();
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      f.orTimeout(plan.timeoutMillis(), TimeUnit.MILLISECONDS)
          .whenComplete(
              (status, err) -> {
                long lat = (System.nanoTime() - due) / 1000;
                if (err != null && unwrap(err) instanceof TimeoutException) {
                  if (record) {
                    timeouts.incrementAndGet();
                  }
                } else if (err != null || status == null || status != 200) {
                  if (record) {
                    errors.incrementAndGet();
                  }
                } else if (record) {
                  ok.incrementAndGet();
                }
                if (record) {
                  rec.recordValue(Math.max(0, lat));
                }
                outstanding.decrementAndGet();
              });
      sent++;
      if (record) {
        measuredSent++;
      }
    }
    long sendEnd = System.nanoTime();
    // Every request completes or times out within the timeout; a little slack for the callbacks.
    long deadline = sendEnd + TimeUnit.MILLISECONDS.toNanos(plan.timeoutMillis() + 2_000);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    Histogram h = rec.getIntervalHistogram();
    double measuredNanos = Math.max(1, sendEnd - (t0 + warm * period));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("targetRate", plan.rate());
    m.put("achievedRate", measuredSent * 1e9 / measuredNanos);
    m.put("sent", sent);
    m.put("measuredSent", measuredSent);
    m.put("measuredRequests", h.getTotalCount());
    m.put("ok", ok.get());
    m.put("errors", errors.get());
    m.put("timeouts", timeouts.get());
    // Should always be 0: a request neither answered nor timed out would be a harness bug.
    m.put("unaccounted", measuredSent - ok.get() - errors.get() - timeouts.get());
    m.put("timeoutMillis", plan.timeoutMillis());
    m.put("saturated", saturated);
    m.put("p50Millis", h.getValueAtPercentile(50) / 1000.0);
    m.put("p99Millis", h.getValueAtPercentile(99) / 1000.0);
    m.put("p999Millis", h.getValueAtPercentile(99.9) / 1000.0);
    m.put("maxMillis", h.getMaxValue() / 1000.0);
    m.put("load1", Machine.load1());
    return m;
  }

  /**
   * Whether a run met "p99 under {@code p99Millis}": every measured request answered 200 in time,
   * the generator kept up (at least 95% of the target rate) and p99 is under the bound.
   */
  static boolean meets(Map<String, Object> m, double p99Millis) {
    return !(boolean) m.get("saturated")
        && ((Number) m.get("errors")).longValue() == 0
        && ((Number) m.get("timeouts")).longValue() == 0
        && ((Number) m.get("unaccounted")).longValue() == 0
        && ((Number) m.get("achievedRate")).doubleValue()
            >= 0.95 * ((Number) m.get("targetRate")).doubleValue()
        && ((Number) m.get("p99Millis")).doubleValue() < p99Millis;
  }

  /**
   * The highest rate meeting {@link #meets}: doubles from {@code start} until a rate fails (or
   * {@code ceiling} passes), then bisects between the last pass and the first fail until they are
   * within 10%. Each step is a short fixed-rate run; all are returned in order.
   */
  static Map<String, Object> maxRate(
      int start,
      int ceiling,
      double p99Millis,
      Plan step,
      LongFunction<CompletionStage<Integer>> op,
      String label)
      throws InterruptedException {
    List<Object> steps = new ArrayList<>();
    int pass = 0;
    int fail = 0;
    int rate = start;
    while (rate <= ceiling) {
      Map<String, Object> m =
          run(new Plan(rate, step.warmupSeconds(), step.seconds(), step.timeoutMillis()), op);
      steps.add(m);
      System.out.println("  " + label + " search " + rate + "/s: " + brief(m));
      if (meets(m, p99Millis)) {
        pass = rate;
        rate *= 2;
      } else {
        fail = rate;
        break;
      }
    }
    while (fail > 0 && fail - pass > Math.max(100, fail / 10)) {
      int mid = (pass + fail) / 2;
      Map<String, Object> m =
          run(new Plan(mid, step.warmupSeconds(), step.seconds(), step.timeoutMillis()), op);
      steps.add(m);
      System.out.println("  " + label + " search " + mid + "/s: " + brief(m));
      if (meets(m, p99Millis)) {
        pass = mid;
      } else {
        fail = mid;
      }
    }
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("maxRateWithP99UnderMillis", p99Millis);
    res.put("maxRate", pass);
    res.put("firstFailingRate", fail);
    res.put("stepSeconds", step.seconds());
    res.put("steps", steps);
    return res;
  }

  static String brief(Map<String, Object> m) {
    return String.format(
        "achieved %.0f/s p50 %.2f p99 %.2f p99.9 %.2f max %.2f ms, errors %s, timeouts %s,"
            + " load %.1f",
        ((Number) m.get("achievedRate")).doubleValue(),
        ((Number) m.get("p50Millis")).doubleValue(),
        ((Number) m.get("p99Millis")).doubleValue(),
        ((Number) m.get("p999Millis")).doubleValue(),
        ((Number) m.get("maxMillis")).doubleValue(),
        m.get("errors"),
        m.get("timeouts"),
        ((Number) m.get("load1")).doubleValue());
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
