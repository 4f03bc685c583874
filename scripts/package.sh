#!/usr/bin/env bash
# What a cluster needs: a wheel, a zip of the packages for --py-files, and the
# job entry files. Usage: scripts/package.sh [DIST_DIR]   (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
python=${PYTHON:-.venv/bin/python}
packages=(jobs labelling pipeline catalog blocking linkage embeddings evaluation storage runtime conf)
rm -rf "$dist" && mkdir -p "$dist/entry"
"$python" -m pip wheel --quiet --no-deps -w "$dist" . >/dev/null
"$python" - "$dist/tracklink-pyfiles.zip" "${packages[@]}" <<'PY'
import sys, zipfile, pathlib
out, packages = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
    for pkg in packages:
        for path in sorted(pathlib.Path(pkg).rglob("*")):
            # .pt/.json: the fast encoder's weights, read with pkgutil.get_data (works from a zip)
            if path.suffix in (".py", ".yaml", ".pt", ".json") and "__pycache__" not in path.parts:
                zf.write(path, path.as_posix())
PY
for job in resolve generate_catalog evaluate evaluate_blocking; do
  cp "jobs/$job.py" "$dist/entry/$job.py"
done
echo "built $(ls "$dist"/*.whl) $dist/tracklink-pyfiles.zip $dist/entry/"
