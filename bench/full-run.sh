#!/usr/bin/env bash
# Runs every benchmark at the sizes of the committed results, into one folder:
#   bench/full-run.sh [out-dir]        (default bench/results/<UTC date>)
# About an hour on 2 cores. Needs Postgres on 127.0.0.1:5432 (user postgres) and Redis on
# 127.0.0.1:6379 (databases 7 and 9 are flushed). Sizes and why: bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/results/$(date -u +%F)}
run() { bench/run.sh "$@" --out "$OUT"; }
export MVN_OPTS=${MVN_OPTS:-}
# Online memory and state size (items 5 and 6).
run --only memory,state --users 100000
# Pipeline side by side, all three implementations on the same events (item 1 a-c). Flink SQL's
# HOP at 1h/1min processes tens of events per second here, which bounds the size of that run.
run --only pipeline --pipeline-section pipeline --slides 15 --events 100000 --step-ms 120 --reps 3
run --only pipeline --pipeline-section pipeline1min --slides 1 --events 6000 --step-ms 1200 --reps 3
run --only pipeline --pipeline-section pipeline1minVsDataStream --slides 1 \
  --variants FRESHET,DATASTREAM_SLIDING --events 100000 --step-ms 72 --reps 3
# Freshet alone at the issue's size: 5M events, 100k users.
run --only pipeline --pipeline-section pipelineScale1min --slides 1 --variants FRESHET \
  --events 5000000 --step-ms 6 --reps 2
run --only pipeline --pipeline-section pipelineScale15min --slides 15 --variants FRESHET \
  --events 5000000 --step-ms 6 --reps 1
# End to end through Kafka and both exactly-once sinks (item 1 d), and freshness (item 2).
run --only e2e,freshness --e2e-events 2000000 --reps 2
# Gateway (item 3).
run --only gateway --users 100000
# Training sets against the Feast-style point-in-time join (item 4).
run --only training --reps 2
