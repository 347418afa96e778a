#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds with the CUDA libtorch, checks that the GPU gives the CPU's
# outputs (token log-probabilities, attention diagnostics, training losses; within 1e-3) and prints the
# speed of both, then runs the benchmark on the GPU.
#
#   scripts/cuda-check.sh                      # libtorch from PYTORCH_LIBRARY_PATH, or DJL's download
#   PYTORCH_LIBRARY_PATH=.../torch/lib scripts/cuda-check.sh
#
# Needs: JDK 17, Maven, an NVIDIA driver, and a CUDA build of libtorch 2.7.1 (Maven Central has none):
# either PYTORCH_LIBRARY_PATH pointing at the torch/lib folder of a PyTorch 2.7.1+cu126 install, or
# internet access so that DJL downloads its cu126 build at first use. Output goes to cuda-check/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/cuda-check}"
mkdir -p "$out"
export PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cu126}"
export PYTORCH_VERSION=2.7.1
export OPT_OUT_TRACKING=true

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"

cd "$root"
mvn -q -B -Pcuda -DskipTests package dependency:build-classpath -pl lab -am \
    -Dmdep.includeScope=runtime -Dmdep.outputFile="$out/classpath"
offline=()
if [ -n "${PYTORCH_LIBRARY_PATH:-}" ]; then
  offline=(-Dai.djl.offline=true)   # a local libtorch: nothing to download
fi
run() {
  java -Xmx8g "${offline[@]}" -DOPT_OUT_TRACKING=true \
      -cp "$root/lab/target/classes:$(cat "$out/classpath")" dev.lazyattention.lab.LabMain "$@"
}

status=0
echo "== check-device: GPU against CPU (tolerance 1e-3)"
run check-device --device gpu --preset small --json | tee "$out/check-device.json" || status=$?
echo "== bench on the GPU (base preset)"
run bench --device gpu --preset base --phases matmul,train,score,generate,chunked --json \
    | tee "$out/bench-gpu.json" || status=$?
echo "cuda-check: results in $out (exit $status)"
exit $status
