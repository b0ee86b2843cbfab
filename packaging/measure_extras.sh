#!/usr/bin/env bash
# Installed size and install time of gatescan[gate] and gatescan[server] in fresh venvs
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for extra in gate server; do
  V=/tmp/measure-$extra
  rm -rf "$V"; /usr/bin/python3 -m venv "$V"; "$V/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1
  base=$(du -sk "$V" | cut -f1)
  t0=$(date +%s.%N)
  "$V/bin/python" -m pip install -q --no-cache-dir "$SRC[$extra]" >/dev/null 2>&1
  t1=$(date +%s.%N)
  after=$(du -sk "$V" | cut -f1)
  n=$("$V/bin/python" -m pip list --format=freeze 2>/dev/null | wc -l)
  has=$("$V/bin/python" -c "import importlib.util as u; print(' '.join(m for m in ('fastapi','uvicorn','sqlalchemy','psycopg','PySide6','cv2','zxingcpp','pyzbar') if u.find_spec(m)))")
  printf '%s: %.1f s, %d MB installed (%d packages), heavy modules present: %s\n' "$extra" "$(echo "$t1 - $t0" | bc)" $(( (after - base) / 1024 )) "$n" "${has:-none}"
done
