# SPDX-License-Identifier: Apache-2.0
# Shared by scripts/run.sh and scripts/attest.sh (sourced; not run on its own).

# swtpm on TCP for the administrator's tools, for the duration of one command: runs
# `"$@" --tcti swtpm:...` against the TPM state in directory $1 (shifted off first).
with_socket_tpm() {
  local state=$1; shift
  local port=$((20000 + RANDOM % 20000))
  swtpm socket --tpm2 --tpmstate "dir=$state" --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
    --ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" --flags not-need-init,startup-clear &
  local pid=$!
  local up=0
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { up=1; break; }; sleep 0.1; done
  if [[ $up -eq 0 ]]; then
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    echo "error: swtpm did not listen on 127.0.0.1:$port within 10 s" >&2
    return 2
  fi
  local status=0
  "$@" --tcti "swtpm:host=127.0.0.1,port=$port" || status=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  return $status
}

# swtpm for QEMU's tpm-tis: TPM state in directory $1, control socket $2; sets SWTPM_PID (the
# caller stops it). swtpm ends by itself when QEMU closes the socket (--terminate).
start_qemu_tpm() {
  rm -f "$2"
  swtpm socket --tpm2 --tpmstate "dir=$1" --ctrl "type=unixio,path=$2" --terminate &
  SWTPM_PID=$!
  for _ in $(seq 100); do [[ -S "$2" ]] && return 0; sleep 0.1; done
  echo "error: swtpm made no control socket $2 within 10 s" >&2
  return 2
}

# A fresh software TPM 2.0 with an EK in directory $1, unless one is there already.
make_tpm_state() {
  [[ -f "$1/tpm2-00.permall" ]] && return 0
  mkdir -p "$1"
  swtpm_setup --tpm2 --tpmstate "$1" --createek --overwrite >/dev/null
}

# Waits until the file $1 has a line matching $2 (extended regex): 0; a line matching $3 or the
# process $4 gone: 1; $5 seconds passed: 2.
wait_for_line() {
  local file=$1 want=$2 bad=$3 pid=$4 seconds=$5
  local end=$((SECONDS + seconds))
  while ((SECONDS < end)); do
    grep -Eq "$want" "$file" 2>/dev/null && return 0
    grep -Eq "$bad" "$file" 2>/dev/null && return 1
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2  # polling a log file under a deadline
  done
  return 2
}

# TCG lists the EPYC features it does not emulate (none that Bulkhead uses), and QEMU reports the
# signal we stop it with: keep both quiet.
quiet_tcg() { grep -v -e "TCG doesn't support requested feature" -e "terminating on signal" >&2; }
