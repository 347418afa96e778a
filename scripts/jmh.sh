#!/usr/bin/env bash
# JMH benchmarks of LazyAttentionBlock and ElasticSoftmax (lab module, package lab.jmh). Arguments go to JMH,
# e.g. scripts/jmh.sh -p sequenceLength=512 forwardBackward -rf json -rff jmh.json
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# An absolute output file: Maven resolves a relative one against each module's folder.
mvn -q -B -DskipTests package dependency:build-classpath -pl lab -am \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$root/lab/target/classpath"
export OPT_OUT_TRACKING=true
exec java -DOPT_OUT_TRACKING=true -Dai.djl.offline=true \
    -cp "$root/lab/target/classes:$(cat "$root/lab/target/classpath")" org.openjdk.jmh.Main "$@"
