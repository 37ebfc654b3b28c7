#!/usr/bin/env bash
# Builds the agent and the benchmarks, then runs them: bench/run.sh [all|socket|startup|memory|jmx|cpu|hooks|toggle]...
# [--quick] [--runs N] [--java /path/to/bin/java]... Results are Markdown on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
# The memory benchmark wants 100000 open sockets; the JVM raises its soft fd limit to the hard one,
# so raise the hard one where this shell is allowed to (MemoryWork reports what it could open).
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mvn -B -q -pl agent,bench -am package -DskipTests
exec java -jar bench/target/bench.jar "${@:-all}"
