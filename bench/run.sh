#!/usr/bin/env bash
# Builds the bench module (and the modules it uses) and runs the benchmarks; arguments go to
# io.freshet.bench.BenchMain (see bench/README.md), e.g.  bench/run.sh --events 2000000 --reps 3
set -euo pipefail
cd "$(dirname "$0")/.."
MVN_OPTS=${MVN_OPTS:-}
mvn -B -q $MVN_OPTS -pl bench -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=runtime
CP="bench/target/classes:$(cat bench/target/bench.classpath)"
OPENS=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED)
exec java ${BENCH_JVM_OPTS:--Xmx4g -XX:+UseParallelGC} "${OPENS[@]}" -cp "$CP" io.freshet.bench.BenchMain "$@"
