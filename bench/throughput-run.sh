#!/usr/bin/env bash
# The throughput benchmarks side by side in one folder, for one machine:
#   bench/throughput-run.sh [out-dir]        (default bench/results/<UTC date>)
# End to end against the physical baseline, the operator against Flink SQL HOP and DataStream
# windows, checkpoints at a sustained 20k events/s with 1 s checkpoints (aligned, unaligned, buffer
# debloating), training sets against the Feast-style join, and the gateway in a JVM of its own.
# About 40 minutes on 2 cores. Needs Postgres on 127.0.0.1:5432 (user postgres) and Redis on
# 127.0.0.1:6379 (databases 7 and 9 are flushed). Sizes and why: bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/results/$(date -u +%F)}
run() { bench/run.sh "$@" --out "$OUT"; }
export MVN_OPTS=${MVN_OPTS:-}
# End to end through Kafka and both exactly-once sinks, then the physical baseline on the same topic.
run --only e2e --e2e-events 2000000 --users 100000 --reps 1
# The operator alone against Flink SQL HOP and DataStream sliding windows, 1h/15min, same events.
run --only pipeline --pipeline-section pipeline --slides 15 --events 100000 --step-ms 120 --reps 2
# Freshet alone at 1M events, 100k users.
run --only pipeline --pipeline-section pipelineScale15min --slides 15 --variants FRESHET \
  --events 1000000 --step-ms 6 --reps 1
# Checkpoints at a sustained 20k events/s (100k users) with 1 s checkpoints and exactly-once sinks:
# the hourly window-end view, then the request-time live view, then the two checkpoint options.
ckpt=(--only readable --readable-rate 20000 --readable-users 100000 --readable-seconds 60
  --readable-checkpoint-ms 1000)
run "${ckpt[@]}" --readable-modes hourly --readable-probes-per-second 0.2 \
  --readable-wait-seconds 3 --readable-label "20k aligned"
run "${ckpt[@]}" --readable-modes live --readable-probes-per-second 2 --readable-label "20k aligned"
BENCH_JVM_OPTS="${BENCH_JVM_OPTS:--Xmx4g -XX:+UseParallelGC} \
-Dfreshet.bench.flinkConf=execution.checkpointing.unaligned.enabled=true" \
  run "${ckpt[@]}" --readable-modes hourly --readable-probes-per-second 0.2 \
  --readable-wait-seconds 3 --readable-label "20k unaligned"
BENCH_JVM_OPTS="${BENCH_JVM_OPTS:--Xmx4g -XX:+UseParallelGC} \
-Dfreshet.bench.flinkConf=taskmanager.network.memory.buffer-debloat.enabled=true" \
  run "${ckpt[@]}" --readable-modes hourly --readable-probes-per-second 0.2 \
  --readable-wait-seconds 3 --readable-label "20k debloat"
# Training sets against the Feast-style point-in-time join.
run --only training --reps 1
# The gateway last, in a JVM of its own.
run --only gateway --users 100000
