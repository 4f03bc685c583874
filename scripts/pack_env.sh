#!/usr/bin/env bash
# A packed Python environment for the executors, shipped the way YARN and
# Kubernetes users ship Python: a fresh venv holding the wheel's runtime
# dependencies, packed with venv-pack. tracklink's own code travels beside it
# in dist/tracklink-pyfiles.zip, so a code change does not repack 2 GB:
#   spark-submit --archives env.tar.gz#environment \
#                --conf spark.pyspark.python=./environment/bin/python \
#                --py-files dist/tracklink-pyfiles.zip ...
#
#   scripts/pack_env.sh OUT.tar.gz [WHEEL]   (default wheel: dist/tracklink-*.whl)
#
# PySpark is left out: executors import it from the cluster's SPARK_HOME
# (python/lib/pyspark.zip); shipping it would add ~480 MB. delta-spark goes
# with it (it requires pyspark; a cluster with Delta brings its Python module
# in the Delta jar). Override with EXCLUDE="...".
#
# The venv links to the base interpreter of PYTHON (default .venv/bin/python):
# every executor host needs that Python at the same path (venv-pack does not
# carry the interpreter; conda-pack or a container image do).
#
# Only .tar.gz: Spark 4.2 unpacks a plain .tar with Hadoop's Java untar, which
# drops the executable bits (executors fail with "Cannot run program
# ./environment/bin/python: Permission denied") and refuses the venv's
# symlink to the base interpreter; .tar.gz goes through the system's tar.
#
# Settings: PYTHON; CONSTRAINTS (default constraints.txt when present); EXCLUDE;
# CACHE_DIR: keep the archive there under a key of the dependency list, the
# constraints, the interpreter and this script, and reuse it while the key holds
# (other keys' archives in CACHE_DIR are removed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 OUT.tar.gz [WHEEL]" >&2; exit 2; }
out=$(mkdir -p "$(dirname "$1")" && cd "$(dirname "$1")" && pwd)/$(basename "$1")
[[ $out == *.tar.gz ]] || { echo "pack_env.sh: OUT must end in .tar.gz (see the header)" >&2; exit 2; }
format=tar.gz
wheel=${2:-}
if [[ -z $wheel ]]; then
  shopt -s nullglob
  wheels=("$root"/dist/tracklink-*.whl)
  [[ ${#wheels[@]} -eq 1 ]] || { echo "pack_env.sh: expected one dist/tracklink-*.whl (run scripts/package.sh), found ${#wheels[@]}" >&2; exit 1; }
  wheel=${wheels[0]}
fi
python=${PYTHON:-$root/.venv/bin/python}
constraints=${CONSTRAINTS:-}
[[ -z $constraints && -f $root/constraints.txt ]] && constraints=$root/constraints.txt
exclude=${EXCLUDE:-pyspark delta-spark}

build=$(mktemp -d "$(dirname "$out")/pack-env.XXXXXX")
trap 'rm -rf "$build"' EXIT

# The wheel's runtime requirements (no extras), minus what the cluster provides.
"$python" - "$wheel" "$exclude" >"$build/requirements.txt" <<'PY'
import re, sys, zipfile
from email.parser import Parser
wheel, exclude = sys.argv[1], set(sys.argv[2].lower().split())
with zipfile.ZipFile(wheel) as zf:
    meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    msg = Parser().parsestr(zf.read(meta).decode())
for req in msg.get_all("Requires-Dist") or []:
    if "extra ==" in req:
        continue
    name = re.match(r"[A-Za-z0-9._-]+", req).group(0).lower().replace("_", "-")
    if name not in exclude:
        print(req)
PY

if [[ -n ${CACHE_DIR:-} ]]; then
  key=$(
    {
      cat "$build/requirements.txt"
      [[ -n $constraints ]] && cat "$constraints"
      "$python" -c 'import sys; print(sys.version, sys.base_prefix)'
      cat "$0"
      echo "$exclude"
    } | sha256sum | cut -c1-16
  )
  cached=$CACHE_DIR/env-$key.$format
  if [[ -f $cached ]]; then
    ln -f "$cached" "$out" 2>/dev/null || cp "$cached" "$out"
    echo "$out"
    exit 0
  fi
fi

env=$build/env
"$python" -m venv "$env"
pip_args=(--quiet --disable-pip-version-check)
[[ -n $constraints ]] && pip_args+=(-c "$constraints")
# pip's warnings about index folders that lack a package are noise here
"$env/bin/python" -m pip install "${pip_args[@]}" -r "$build/requirements.txt" 2> >(grep -v "^WARNING: Location" >&2)
for name in $exclude; do
  if "$env/bin/python" -m pip show --quiet "$name" >/dev/null 2>&1; then
    echo "pack_env.sh: $name came in as a dependency; the cluster provides it" >&2
    exit 1
  fi
done
installed=$SECONDS
"$python" -m venv_pack --quiet --force --prefix "$env" --output "$out"
echo "pack_env.sh: installed in ${installed}s ($(du -sm "$env" | cut -f1) MB), packed in $((SECONDS - installed))s ($(du -m "$out" | cut -f1) MB)" >&2

if [[ -n ${CACHE_DIR:-} ]]; then
  mkdir -p "$CACHE_DIR"
  find "$CACHE_DIR" -maxdepth 1 -name 'env-*.tar*' ! -name "env-$key.$format" -delete
  ln -f "$out" "$cached" 2>/dev/null || cp "$out" "$cached"
fi
echo "$out"
