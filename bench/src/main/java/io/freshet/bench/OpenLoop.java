package io.freshet.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Load at a fixed rate, open loop: request {@code i} is due at {@code t0 + i / rate} whether or not
 * earlier ones have answered, and its latency is measured from when it was due, so a stalled server
 * is charged for every request it delayed (no coordinated omission).
 */
final class OpenLoop {
  private OpenLoop() {}

  /** Sends at {@code rate}/s for warmup + measured seconds; returns latency in microseconds. */
  static Map<String, Object> run(
      int rate, int warmupSeconds, int seconds, LongFunction<CompletionStage<Integer>> op)
      throws InterruptedException {
    Recorder rec = new Recorder(3);
    AtomicLong errors = new AtomicLong();
    AtomicLong outstanding = new AtomicLong();
    long period = 1_000_000_000L / rate;
    long total = (long) rate * (warmupSeconds + seconds);
    long warm = (long) rate * warmupSeconds;
    long t0 = System.nanoTime();
    long sent = 0;
    boolean saturated = false;
    for (long i = 0; i < total; i++) {
      long due = t0 + i * period;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      if (outstanding.get() > 50_000) {
        saturated = true;
        break;
      }
      boolean record = i >= warm;
      outstanding.incrementAndGet();
      op.apply(i)
          .whenComplete(
              (status, err) -> {
                long lat = (System.nanoTime() - due) / 1000;
                outstanding.decrementAndGet();
                if (err != null || status == null || status != 200) {
                  errors.incrementAndGet();
                }
                if (record) {
                  rec.recordValue(Math.max(0, lat));
                }
              });
      sent++;
    }
    long sendEnd = System.nanoTime();
    long deadline = sendEnd + TimeUnit.SECONDS.toNanos(3);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    Histogram h = rec.getIntervalHistogram();
    double achieved = sent * 1e9 / Math.max(1, sendEnd - t0);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("targetRate", rate);
    m.put("achievedRate", achieved);
    m.put("measuredRequests", h.getTotalCount());
    m.put("errors", errors.get());
    m.put("unansweredAfterDrain", outstanding.get());
    m.put("saturated", saturated);
    m.put("p50Millis", h.getValueAtPercentile(50) / 1000.0);
    m.put("p99Millis", h.getValueAtPercentile(99) / 1000.0);
    m.put("p999Millis", h.getValueAtPercentile(99.9) / 1000.0);
    m.put("maxMillis", h.getMaxValue() / 1000.0);
    m.put("load1", Machine.load1());
    return m;
  }

  /** Closed loop: keeps {@code concurrency} requests in flight for {@code seconds}; requests/s. */
  static double maxThroughput(
      int concurrency, int seconds, LongFunction<CompletionStage<Integer>> op)
      throws InterruptedException {
    Semaphore slots = new Semaphore(concurrency);
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long t0 = System.nanoTime();
    long i = 0;
    while (System.nanoTime() < end) {
      slots.acquire();
      op.apply(i++)
          .whenComplete(
              (s, e) -> {
                done.incrementAndGet();
                slots.release();
              });
    }
    slots.acquire(concurrency);
    return done.get() * 1e9 / (System.nanoTime() - t0);
  }
}
