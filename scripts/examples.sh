#!/usr/bin/env bash
# Builds and runs every standalone example in examples/ the way a user does: the project installed into the
# local Maven repository (tests skipped), then in each example `mvn -B -q compile exec:java`. Fails on the
# first error, and when an example does not print the line that shows it got to its end.
#
#   scripts/examples.sh                 install the project, then run every example
#   scripts/examples.sh --no-install    run the examples against what is installed already
#   scripts/examples.sh djl-block ...   only these examples
#
# Maven runs offline when everything is in the local repository, online otherwise (the first time, for the
# CoreNLP models jar of examples/corenlp-pipeline, say). Each example trains its tiny model on its first run
# and reuses it from its target/ folder afterwards; `rm -rf examples/*/target` starts afresh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# DJL must never reach the network: no usage tracking, no libtorch download (it comes from the native jar).
# exec:java runs the example inside Maven's JVM, so the -D flags below reach it as system properties.
export OPT_OUT_TRACKING=true DJL_OFFLINE=true
# The examples' tensors are tiny; libtorch's spinning worker threads slow them down on a busy machine.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
djl=(-DOPT_OUT_TRACKING=true -Dai.djl.offline=true)

# The line each example prints at its end.
declare -A expected=(
  [djl-block]='^TextGenerator, greedy'
  [corenlp-pipeline]='^JSON: '
  [opennlp-lm]=' -> '
)

install=true
examples=()
for arg in "$@"; do
  case "$arg" in
    --no-install) install=false ;;
    -*) echo "examples.sh: unknown option $arg" >&2; exit 2 ;;
    *) examples+=("$arg") ;;
  esac
done
if [ ${#examples[@]} -eq 0 ]; then
  examples=(djl-block corenlp-pipeline opennlp-lm)
fi

# Runs mvn offline, and again online when offline Maven lacked an artifact or plugin (nothing else is retried).
mvn_offline_first() {
  local log
  log="$(mktemp)"
  if mvn -o "$@" >"$log" 2>&1; then
    sed -e 's/\x1b\[[0-9;]*m//g' "$log"     # without the colour codes that mvn -q prints even with -B
    rm -f "$log"
    return 0
  fi
  if grep -q -E "offline mode|has not been downloaded|Cannot access .* in offline|Could not resolve|resolve plugin|No plugin found for prefix" "$log"; then
    rm -f "$log"
    echo "examples.sh: something is missing from the local Maven repository; running online" >&2
    mvn "$@"
    return
  fi
  cat "$log"
  rm -f "$log"
  return 1
}

if $install; then
  echo "examples.sh: installing the project (tests skipped)"
  start=$SECONDS
  (cd "$root" && mvn_offline_first -B -q install -DskipTests)
  echo "examples.sh: installed in $((SECONDS - start)) s"
fi

for example in "${examples[@]}"; do
  dir="$root/examples/$example"
  if [ ! -f "$dir/pom.xml" ]; then
    echo "examples.sh: no example $example (examples/$example/pom.xml)" >&2
    exit 2
  fi
  echo "examples.sh: examples/$example"
  start=$SECONDS
  out="$(cd "$dir" && mvn_offline_first -B -q compile exec:java "${djl[@]}")" || {
    printf '%s\n' "$out"
    echo "examples.sh: examples/$example FAILED" >&2
    exit 1
  }
  printf '%s\n' "$out" | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/^/  /'
  if ! printf '%s\n' "$out" | sed -e 's/\x1b\[[0-9;]*m//g' | grep -q -E -- "${expected[$example]:-.}"; then
    echo "examples.sh: examples/$example ran but did not print its last line (${expected[$example]})" >&2
    exit 1
  fi
  echo "examples.sh: examples/$example ran in $((SECONDS - start)) s"
done
