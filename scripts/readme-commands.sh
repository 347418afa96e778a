#!/usr/bin/env bash
# Runs every shell command of the READMEs (README.md and each module's README.md) as CI can: offline, without
# a GPU, in a few minutes on 2 cores. The commands are every ```bash block and every `$ ` line of a block
# without a language (a command there without `$ ` fails the script). The table below maps each block, by a piece of its text, to how it runs:
# as written, with its smallest settings (a long experiment gets --steps 2), as a server that the block's
# other commands then query, or skipped with the reason. A block that no entry maps, or that two entries
# map, fails the script, and so does an entry that maps no block or a replacement that no longer applies:
# a new command is run or explained, never skipped silently.
#
#   scripts/readme-commands.sh           run them (after `mvn -B verify -Pfull` and scripts/examples.sh, as
#                                        .ci/run does: the project built, packaged and installed)
#   scripts/readme-commands.sh --list    print each block and how it runs, run nothing
#
# Every README's commands run from the repository root, as the READMEs say. They run in a scratch folder that
# looks like the repository root (a link to each of its entries), so `./lazyattn` and `cli/target/...` mean
# what they mean in the READMEs while the files the commands write
# stay out of the clone. Beside it, shared/data holds the corpora of ../shared/data cut short (each text file
# to its first 50 kB of whole lines, PIQA to its first 100 items), so the experiments run as written, on less.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# README.md first, then the module READMEs (a README.md in a folder of the root), as paths from the root.
readmes=(README.md)
for module_readme in "$root"/*/README.md; do readmes+=("${module_readme#$root/}"); done

# DJL must never reach the network: no usage tracking, no libtorch download (it comes from the native jar).
export OPT_OUT_TRACKING=true DJL_OFFLINE=true
# Tiny models: libtorch's one thread per core only slows them down on a busy machine.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"

# --- The table, in the order the commands run ---------------------------------------------------------------
# entry KEY ACTION [ARG...]: the block (of any README) whose commands contain KEY (a fixed string) runs as ACTION:
#   run [FROM TO]...          as written, after replacing each FROM with TO (a FROM that is gone fails)
#   server PORT [FROM TO]...  its first command in the background; the rest once PORT answers; then it stops
#   background PORT [FROM TO]...  in the background until the script ends; the next entries run once PORT answers
#   skip REASON
# A port the README names is replaced everywhere by a free one. expect KEY REGEX: the output must match REGEX;
# creates KEY FILE [REGEX]: the commands must leave FILE (relative to the scratch root), holding REGEX if given.
keys=() actions=() args=()
declare -A expects=() creates=()
entry() {
  keys+=("$1") actions+=("$2")
  local joined="" a
  for a in "${@:3}"; do joined+="$a"$'\x1f'; done
  args+=("$joined")
}
expect() { expects["$1"]="$2"; }
creates() { creates["$1"]="$2"$'\x1f'"${3:-}"; }

entry './lazyattn demo' run \
  './lazyattn demo --out demo' './lazyattn demo --out demo --steps 2' \
  'mvn -B verify -Pfull' ': mvn -B verify -Pfull, run by .ci/run before this script,'
creates './lazyattn demo' demo/model.lazylm.zip
entry './lazyattn export --model' run
creates './lazyattn export --model' demo-again.lazylm.zip
entry './lazyattn generate --model demo' run
expect './lazyattn generate --model demo' 'bitsPerByte'
entry 'python/train_ddp.py' run \
  'torchrun --nproc_per_node 8 python/train_ddp.py' '/usr/bin/python3 python/train_ddp.py --nproc 2' \
  'corpus.txt' 'README.md' \
  '--layers 12 --hidden 768 --heads 12 --kv-heads 4 --mlp 2048 --context 1024 --bias-length 1024' \
  '--layers 1 --hidden 32 --heads 4 --kv-heads 2 --mlp 64 --context 64 --bias-length 64' \
  '--seq 1023 --steps 20000 --batch 16' '--seq 32 --steps 2 --batch 2' \
  'python3 python/lazy_attention.py score' 'echo "[[72, 105, 33]]" > ids.json && /usr/bin/python3 python/lazy_attention.py score'
creates 'python/train_ddp.py' my-model.lazylm.zip
entry 'cd examples/' skip 'scripts/examples.sh, which .ci/run runs before this script, installs the project and runs every example'
entry './lazyattn serve --model' background 8080 './lazyattn serve --model' './lazyattn serve --port 8080 --model'
entry 'localhost:8080/api/analyze' run
expect 'localhost:8080/api/analyze' '"weights"'
entry 'dependency:build-classpath -pl cli' run
creates 'dependency:build-classpath -pl cli' cli/target/lazyattn.classpath
entry 'StanfordCoreNLP -props' run
creates 'StanfordCoreNLP -props' in.txt.out '"surprisalBits"' 
entry 'StanfordCoreNLPServer' server 9000
expect 'StanfordCoreNLPServer' '"lazylm"'
entry 'LazyLmServer' server 9000
expect 'LazyLmServer' '"nextTokens"'
entry 'LazyLmTrainer' run \
  '-lazylm.train.preset small' '-lazylm.train.preset tiny' \
  '-lazylm.train.steps 2000' '-lazylm.train.steps 2'
creates 'LazyLmTrainer' model.lazylm.zip
entry 'package -pl spark-scoring' run
creates 'package -pl spark-scoring' spark-scoring/target/spark-scoring.classpath
entry "--master 'local" skip 'needs spark-submit, which CI does not install; ReadmeSparkSubmitTest (spark-scoring, -Pfull) runs this command through Spark'"'"'s own SparkSubmit'
entry '--master yarn' skip 'needs a YARN cluster and HDFS'
entry 'ScalingBenchmark' run \
  '<the JVM flags above>' '$SPARK_JVM_FLAGS' \
  '--documents 4000' '--documents 40' '--preset small' '--preset tiny' '--cores 1,2' '--cores 1' '--repeats 2' '--repeats 1'
expect 'ScalingBenchmark' 'local\[1\]: [0-9.]+ documents/s'
entry '--out runs/exp-sink' run \
  '--steps 2000' '--steps 2'
creates '--out runs/exp-sink' runs/exp-sink/report.md
entry '--out runs/exp-small' run '--steps 1200' '--steps 2' '--preset small' '--preset tiny'
creates '--out runs/exp-small' runs/exp-small/lazy/model.lazylm.zip
entry './lazyattn inspect --model' run
expect './lazyattn inspect --model' '"lazylm"'

# --- The READMEs' blocks ------------------------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/readme-commands.XXXXXX")"
blocks="$work/blocks"
mkdir -p "$blocks"
# Every fenced block to blocks/FF-NNN (its lines) and blocks/FF-NNN.meta ("README README-LINE LANGUAGE"),
# FF the README's place in the list, so that the blocks sort in the READMEs' order.
for r in "${!readmes[@]}"; do
awk -v dir="$blocks" -v readme="${readmes[$r]}" -v prefix="$(printf '%02d' "$r")" '
  /^[[:space:]]*```/ {
    if (!open) {
      lang = $0; sub(/^[[:space:]]*```/, "", lang); gsub(/[[:space:]]/, "", lang)
      n++; file = sprintf("%s/%s-%03d", dir, prefix, n); printf "" > file
      print readme, NR + 1, (lang == "" ? "-" : lang) > (file ".meta"); close(file ".meta")
      open = 1
    } else {
      close(file); open = 0
    }
    next
  }
  open { print > file }
' "$root/${readmes[$r]}"
done

# The commands of each block that has any, to blocks/NNN.sh: a bash block whole, else its `$ ` lines.
command_blocks=()
for meta in "$blocks"/*.meta; do
  b="${meta%.meta}"
  read -r file line lang < "$meta"
  case "$lang" in
    bash|sh|shell) cp "$b" "$b.sh" ;;
    -|console) if grep -q '^\$ ' "$b"; then
         sed -n 's/^\$ //p' "$b" > "$b.sh"
       elif grep -qE '^(\./|scripts/|mvn |java |curl |spark-submit |cd |export )' "$b"; then
         echo "readme-commands.sh: $file line $line: a block without a language holds a command; mark it" \
           "\`\`\`bash, or write \"\$ \" before each command and leave its output unmarked" >&2
         exit 1
       else
         continue
       fi ;;
    *) continue ;;
  esac
  command_blocks+=("$b")
done

# Each block mapped by exactly one entry, each entry mapping exactly one block.
declare -A block_of=()
problems=()
for b in "${command_blocks[@]}"; do
  read -r file line lang < "$b.meta"
  found=()
  for i in "${!keys[@]}"; do
    if grep -qF -- "${keys[$i]}" "$b.sh"; then found+=("$i"); fi
  done
  if [ ${#found[@]} -eq 0 ]; then
    problems+=("$file line $line: no entry of scripts/readme-commands.sh maps this block; add one (run, skip with its reason, ...):
$(sed 's/^/    /' "$b.sh")")
  elif [ ${#found[@]} -gt 1 ]; then
    problems+=("$file line $line: mapped by more than one entry ($(for i in "${found[@]}"; do printf "'%s' " "${keys[$i]}"; done))")
  elif [ -n "${block_of[${found[0]}]:-}" ]; then
    problems+=("entry '${keys[${found[0]}]}' maps two blocks ($(cut -d' ' -f1,2 "${block_of[${found[0]}]}.meta" | sed 's/ / line /') and $file line $line)")
  else
    block_of[${found[0]}]="$b"
  fi
done
for i in "${!keys[@]}"; do
  if [ -z "${block_of[$i]:-}" ]; then
    problems+=("entry '${keys[$i]}' maps no block of the READMEs (its command changed or is gone): update the table")
  fi
done

# A free TCP port for each port the README names, the same in every block.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
declare -A port_map=()
for p in 8080 9000; do
  q=$((20000 + RANDOM % 20000))
  while port_open "$q"; do q=$((20000 + RANDOM % 20000)); done
  port_map[$p]=$q
done

# The commands of entry $1 as they run: substitutions first (each must apply), then the ports.
prepared() {
  local i=$1 text from to
  text="$(cat "${block_of[$i]}.sh")"
  local -a pairs=()
  IFS=$'\x1f' read -r -d '' -a pairs < <(printf '%s\0' "${args[$i]}") || true
  local start=0   # a server's first argument is its port
  if [ "${actions[$i]}" = server ] || [ "${actions[$i]}" = background ]; then start=1; fi
  for ((k = start; k + 1 < ${#pairs[@]}; k += 2)); do
    from="${pairs[$k]}" to="${pairs[$((k + 1))]}"
    if [[ "$text" != *"$from"* ]]; then
      echo "readme-commands.sh: entry '${keys[$i]}': '$from' is no longer in its block; update the table" >&2
      return 1
    fi
    text="${text//"$from"/"$to"}"
  done
  for p in "${!port_map[@]}"; do
    text="$(printf '%s\n' "$text" | sed -E "s/(^|[^0-9])$p([^0-9]|\$)/\\1${port_map[$p]}\\2/g")"
  done
  printf '%s\n' "$text"
}

# Every substitution must still apply, before anything runs.
for i in "${!keys[@]}"; do
  if [ -n "${block_of[$i]:-}" ] && [ "${actions[$i]}" != skip ]; then
    wrong="$(prepared "$i" 2>&1 >/dev/null)" || problems+=("${wrong#readme-commands.sh: }")
  fi
done
if [ ${#problems[@]} -gt 0 ]; then
  printf 'readme-commands.sh: %s\n' "${problems[@]}" >&2
  exit 1
fi

if [ "${1:-}" = --list ]; then
  for i in "${!keys[@]}"; do
    read -r file line lang < "${block_of[$i]}.meta"
    IFS=$'\x1f' read -r -d '' -a pairs < <(printf '%s\0' "${args[$i]}") || true
    how="${actions[$i]}"
    case "$how" in
      skip) how="skipped: ${pairs[0]}" ;;
      server|background) how="$how on port ${pairs[0]}"; pairs=("${pairs[@]:1}") ;;
    esac
    if [ "${actions[$i]}" != skip ]; then
      for ((k = 0; k + 1 < ${#pairs[@]}; k += 2)); do how+=", '${pairs[$k]}' -> '${pairs[$((k + 1))]}'"; done
    fi
    printf '%s line %s (%s): %s\n' "$file" "$line" "${keys[$i]}" "$how"
    sed 's/^/    /' "${block_of[$i]}.sh"
  done
  rm -rf "$work"
  exit 0
elif [ $# -gt 0 ]; then
  echo "readme-commands.sh: unknown argument $1 (only --list)" >&2
  exit 2
fi

# --- The scratch root and the files the README assumes a user has ---------------------------------------------
scratch="$work/repo"
mkdir -p "$scratch"
for entry_path in "$root"/* "$root"/.[!.]*; do
  [ -e "$entry_path" ] || continue
  case "$(basename "$entry_path")" in .git) continue ;; esac
  ln -s "$entry_path" "$scratch/$(basename "$entry_path")"
done
if [ ! -d "$root/../shared/data" ]; then
  echo "readme-commands.sh: no ../shared/data beside the clone (the corpora of the READMEs' experiments)" >&2
  exit 1
fi
for corpus in "$root"/../shared/data/*/*; do
  cut="$work/shared/data/$(basename "$(dirname "$corpus")")/$(basename "$corpus")"
  mkdir -p "$(dirname "$cut")"
  case "$corpus" in
    *.txt.gz) { gzip -dc "$corpus" | head -c 50000 | head -n -1 || true; } | gzip > "$cut" ;;
    *.jsonl.gz) { gzip -dc "$corpus" | head -n 100 || true; } | gzip > "$cut" ;;
    *) { head -n 100 "$corpus" || true; } > "$cut" ;;
  esac
done
# lazylm.properties is corenlp-annotator/README.md's own properties block; in.txt, a.txt and b.txt are the
# user's text files.
corenlp_readme="$root/corenlp-annotator/README.md"
awk '/^```properties/ {open = 1; next} open && /^```/ {exit} open {print}' "$corenlp_readme" > "$scratch/lazylm.properties"
grep -q '^annotators' "$scratch/lazylm.properties" || { echo "readme-commands.sh: corenlp-annotator/README.md has no properties block" >&2; exit 1; }
printf 'The ship sailed at dawn. The crew was glad.\n' > "$scratch/in.txt"
# (head stops reading early: the SIGPIPE this gives gzip is no failure.)
{ gzip -dc "$work/shared/data/train/austen-five-novels.txt.gz" | head -n 400 || true; } > "$scratch/a.txt"
{ gzip -dc "$work/shared/data/train/moby-dick.txt.gz" | head -n 400 || true; } > "$scratch/b.txt"
# spark-scoring/README.md's JVM flags for a JVM that starts Spark itself: the block that holds --add-opens.
SPARK_JVM_FLAGS="$(awk '/^```/ {if (open) {if (flags) exit; open = 0} else {open = 1; buf = ""}; next}
  open {buf = buf " " $0; if ($0 ~ /--add-opens=java.base\/java.lang=/) flags = 1}
  END {print buf}' "$root/spark-scoring/README.md")"
case "$SPARK_JVM_FLAGS" in
  *--add-opens=*) export SPARK_JVM_FLAGS ;;
  *) echo "readme-commands.sh: spark-scoring/README.md has no block of JVM flags (--add-opens=...) for Spark" >&2; exit 1 ;;
esac

command -v curl >/dev/null || { echo "readme-commands.sh: the READMEs' commands need curl" >&2; exit 1; }
command -v setsid >/dev/null || { echo "readme-commands.sh: needs setsid (util-linux) to stop the servers it starts" >&2; exit 1; }

# The launcher builds the CLI if it must, once, here rather than inside the first block.
"$root/lazyattn" --version >/dev/null

background_pids=()
cleanup() {
  local pid
  for pid in "${background_pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_for_port() {  # port, pid of the server, its log
  local deadline=$((SECONDS + 300))
  until port_open "$1"; do
    if ! kill -0 "$2" 2>/dev/null; then
      cat "$3" >&2
      echo "readme-commands.sh: the server stopped before it listened on port $1" >&2
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      cat "$3" >&2
      echo "readme-commands.sh: nothing listens on port $1 after 300 s" >&2
      return 1
    fi
    sleep 1
  done
}

# Maven runs in the clone itself, in the folder that corresponds to the scratch folder it is called from:
# through the links, Maven would see other paths and compile every module again.
maven_in_clone="mvn() { local here=\"\$PWD\"; (cd \"$root\${here#$scratch}\" && command mvn \"\$@\"); }"

# Runs one piece of bash in the scratch root, its output to $2 and, indented, to the terminal.
run_commands() {
  (cd "$scratch" && bash -euo pipefail -c "$maven_in_clone"$'\n'"$1") > "$2" 2>&1 || {
    sed 's/^/    /' "$2"
    return 1
  }
  sed -n '1,40s/^/    /p' "$2"   # the first lines: enough to see that it ran
}

failures=0
total_start=$SECONDS
for i in "${!keys[@]}"; do
  read -r file line lang < "${block_of[$i]}.meta"
  key="${keys[$i]}"
  if [ "${actions[$i]}" = skip ]; then
    echo "readme-commands.sh: $file line $line ($key): skipped: ${args[$i]%$'\x1f'}"
    continue
  fi
  commands="$(prepared "$i")"
  log="$work/log.$i"
  start=$SECONDS
  echo "readme-commands.sh: $file line $line ($key): ${actions[$i]}"
  printf '%s\n' "$commands" | sed 's/^/  $ /'
  ok=true
  case "${actions[$i]}" in
    run)
      run_commands "$commands" "$log" || ok=false
      ;;
    server|background)
      IFS=$'\x1f' read -r -d '' -a pairs < <(printf '%s\0' "${args[$i]}") || true
      port="${port_map[${pairs[0]}]}"
      # The first command: lines up to the first that does not end in a backslash.
      server_cmd="$(awk '{print} !/\\$/ {exit}' <<< "$commands")"
      client_cmd="$(awk 'done {print} !/\\$/ {done = 1}' <<< "$commands")"
      (cd "$scratch" && exec setsid bash -c "$maven_in_clone"$'\n'"$server_cmd") > "$log.server" 2>&1 &
      pid=$!
      background_pids+=("$pid")
      if wait_for_port "$port" "$pid" "$log.server"; then
        if [ -n "$client_cmd" ]; then run_commands "$client_cmd" "$log" || ok=false; else : > "$log"; fi
      else
        ok=false
      fi
      if [ "${actions[$i]}" = server ]; then
        kill -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        $ok || sed 's/^/    server: /' "$log.server"
      fi
      ;;
  esac
  if $ok && [ -n "${expects[$key]:-}" ] && ! grep -qE -- "${expects[$key]}" "$log"; then
    echo "readme-commands.sh: $file line $line ($key): the output does not match ${expects[$key]}" >&2
    [ -f "$log.server" ] && sed 's/^/    server: /' "$log.server"
    ok=false
  fi
  if $ok && [ -n "${creates[$key]:-}" ]; then
    made="${creates[$key]%%$'\x1f'*}" holding="${creates[$key]#*$'\x1f'}"
    if [ ! -e "$scratch/$made" ]; then
      echo "readme-commands.sh: $file line $line ($key): it did not write $made" >&2
      ok=false
    elif [ -n "$holding" ] && ! grep -qE -- "$holding" "$scratch/$made"; then
      echo "readme-commands.sh: $file line $line ($key): $made does not hold $holding" >&2
      ok=false
    fi
  fi
  if $ok; then
    echo "readme-commands.sh: $file line $line ($key): ran in $((SECONDS - start)) s"
  else
    echo "readme-commands.sh: $file line $line ($key): FAILED" >&2
    failures=$((failures + 1))
  fi
done
echo "readme-commands.sh: ${#keys[@]} README blocks, $failures failed, $((SECONDS - total_start)) s"
[ "$failures" -eq 0 ]
