#!/usr/bin/env bash
# A Spark standalone cluster on this machine: one master and WORKERS workers
# (default 2, 1 core and 1 GB each), bound to 127.0.0.1 on free ports, started
# with spark-class from the installed PySpark. Everything it writes (work
# folders, logs, pids, the master URL) lives under STATE_DIR.
#
#   scripts/cluster.sh start STATE_DIR   prints the master URL (also in STATE_DIR/master-url)
#   scripts/cluster.sh stop  STATE_DIR   stops exactly the processes start launched,
#                                        and the executors they started
#
# Settings: PYTHON (default .venv/bin/python: finds SPARK_HOME), WORKERS,
# WORKER_CORES, WORKER_MEMORY, CLUSTER_TIMEOUT (seconds to wait for the workers).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action=$1
state=$(mkdir -p "$2" && cd "$2" && pwd)
python=${PYTHON:-$root/.venv/bin/python}
workers=${WORKERS:-2}
cores=${WORKER_CORES:-1}
memory=${WORKER_MEMORY:-1g}
timeout=${CLUSTER_TIMEOUT:-90}

# A free TCP port on 127.0.0.1 (the OS picks it; a race with another process
# taking it before Spark binds is possible but shows as a failed start).
free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The processes whose working folder lies under STATE_DIR: the executors a
# worker started (their cwd is the worker's app folder) and their Python workers.
processes_under_state() {
  local proc cwd
  for proc in /proc/[0-9]*; do
    cwd=$(readlink "$proc/cwd" 2>/dev/null) || continue
    [[ $cwd == "$state"/* ]] && echo "${proc#/proc/}"
  done
  return 0
}

alive() { kill -0 "$1" 2>/dev/null; }

stop() {
  local pids=() pid waited
  [[ -f $state/pids ]] && mapfile -t pids <"$state/pids"
  # Workers before the master; a worker kills its executors on SIGTERM.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    alive "${pids[i]}" && kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  for waited in $(seq 1 40); do
    local left=()
    for pid in "${pids[@]}" $(processes_under_state); do alive "$pid" && left+=("$pid"); done
    [[ ${#left[@]} -eq 0 ]] && break
    sleep 0.25
  done
  for pid in "${pids[@]}" $(processes_under_state); do
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$state/pids"
  return 0
}

start() {
  if [[ -s $state/pids ]]; then
    echo "cluster.sh: $state already holds a cluster (stop it first)" >&2
    exit 1
  fi
  local spark_home
  spark_home=$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
  export SPARK_HOME=$spark_home SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR=$state/logs
  # The master and workers only keep books: 256 MB of heap each instead of 1 GB.
  export SPARK_DAEMON_MEMORY=${SPARK_DAEMON_MEMORY:-256m}
  # The REST submission server would take the fixed port 6066; spark-submit does not need it.
  export SPARK_MASTER_OPTS="${SPARK_MASTER_OPTS:-} -Dspark.master.rest.enabled=false"
  mkdir -p "$state/logs"
  : >"$state/pids"
  trap 'stop; exit 1' ERR INT TERM

  local port web url
  port=$(free_port)
  web=$(free_port)
  url="spark://127.0.0.1:$port"
  nohup "$spark_home/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$port" --webui-port "$web" \
    >"$state/logs/master.log" 2>&1 </dev/null &
  echo $! >>"$state/pids"

  local n
  for n in $(seq 1 "$workers"); do
    mkdir -p "$state/worker-$n" "$state/local-$n"
    # Executors' scratch (shuffle files, unpacked --archives) stays under STATE_DIR too.
    SPARK_LOCAL_DIRS=$state/local-$n nohup "$spark_home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --port "$(free_port)" --webui-port "$(free_port)" \
      --cores "$cores" --memory "$memory" --work-dir "$state/worker-$n" "$url" \
      >"$state/logs/worker-$n.log" 2>&1 </dev/null &
    echo $! >>"$state/pids"
  done

  local deadline=$((SECONDS + timeout)) registered
  while :; do
    registered=$(cat "$state"/logs/worker-*.log 2>/dev/null | grep -c "Successfully registered with master" || true)
    [[ $registered -ge $workers ]] && break
    local pid
    while read -r pid; do
      if ! alive "$pid"; then
        echo "cluster.sh: a daemon exited at start; logs in $state/logs" >&2
        tail -5 "$state"/logs/*.log >&2
        stop
        exit 1
      fi
    done <"$state/pids"
    if ((SECONDS > deadline)); then
      echo "cluster.sh: $registered of $workers workers registered in ${timeout}s; logs in $state/logs" >&2
      stop
      exit 1
    fi
    sleep 0.5
  done
  trap - ERR INT TERM
  echo "$url" >"$state/master-url"
  echo "$url"
}

case $action in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
