#!/usr/bin/env bash
# JMH benchmarks of LazyAttentionBlock and ElasticSoftmax (module benchmarks). Arguments go to JMH,
# e.g. scripts/jmh.sh -p sequenceLength=512 forwardBackward -rf json -rff jmh.json
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# An absolute output file: Maven resolves a relative one against each module's folder.
mvn -q -B -DskipTests package dependency:build-classpath -pl benchmarks -am \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$root/benchmarks/target/classpath"
export OPT_OUT_TRACKING=true
exec java -DOPT_OUT_TRACKING=true -Dai.djl.offline=true \
    -cp "$root/benchmarks/target/classes:$(cat "$root/benchmarks/target/classpath")" org.openjdk.jmh.Main "$@"
