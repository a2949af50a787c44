#!/usr/bin/env bash
# Installs everything llm-ha-lab needs on a fresh Debian machine, pinned, from the package
# registries only, then builds. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

# Debian packages the lab uses: iptables (hard partitions when root), chromium (renders HTML
# reports in tests), curl (the fault commands of cluster/upstream-faults.yaml), etcd-server (the
# control plane's HA state store and leader election), haproxy (the reference proxy of
# `npm run bench -- entry-path`).
APT_PACKAGES=(iptables chromium curl etcd-server haproxy)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    log "apt-get install ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: cannot install ${missing[*]} (not root); scenarios that need them will say so" >&2
  fi
fi

# k6 (the k6 load driver: scenarios with `load.driver: k6`), built from the Go module proxy with
# the machine's Go; takes minutes on 2 cores the first time. Without it such scenarios fall back to
# the built-in driver and their report says so.
K6_VERSION=v1.8.1
if command -v go >/dev/null 2>&1; then
  K6_BIN="$(go env GOBIN)"; [ -n "$K6_BIN" ] || K6_BIN="$(go env GOPATH)/bin"
  if ! "$K6_BIN/k6" version 2>/dev/null | grep -q "^k6 $K6_VERSION "; then
    log "go install go.k6.io/k6@$K6_VERSION"
    go install "go.k6.io/k6@$K6_VERSION"
  fi
else
  echo "warning: no Go toolchain: k6 not installed; scenarios with driver k6 will use the built-in driver" >&2
fi

# moto's S3-compatible server (PyPI, pinned): the tests of s3:// backups start it on 127.0.0.1.
MOTO_VERSION=5.2.1
if command -v python3 >/dev/null 2>&1; then
  # (grep reads all of pip's output: with -q, pip dies of a broken pipe and pipefail reinstalls)
  if ! python3 -m pip show moto 2>/dev/null | grep "^Version: $MOTO_VERSION\$" >/dev/null || ! command -v moto_server >/dev/null 2>&1; then
    log "pip install moto[server]==$MOTO_VERSION"
    python3 -m pip install --quiet "moto[server]==$MOTO_VERSION" || python3 -m pip install --quiet --break-system-packages "moto[server]==$MOTO_VERSION"
  fi
else
  echo "warning: no python3: moto not installed; the s3:// backup test will be skipped" >&2
fi

# Toxiproxy (the inter-region link proxies: links.interRegionLatencyMs, link.latency,
# link.partition), built with go install. The module's command is named `server`, so it is
# installed into its own directory and linked as toxiproxy-server next to k6. Without it labs use
# direct connections between regions and scenarios with link faults refuse to start.
TOXIPROXY_VERSION=v2.12.0
if command -v go >/dev/null 2>&1; then
  GO_BIN="$(go env GOBIN)"; [ -n "$GO_BIN" ] || GO_BIN="$(go env GOPATH)/bin"
  TOXI_DIR="$(go env GOPATH)/toxiproxy-$TOXIPROXY_VERSION/bin"
  # (a go-installed toxiproxy reports its version as "git", so the pinned directory is the check)
  if [ ! -x "$TOXI_DIR/server" ] || [ "$(readlink "$GO_BIN/toxiproxy-server" || true)" != "$TOXI_DIR/server" ]; then
    log "go install github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION"
    GOBIN="$TOXI_DIR" go install "github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION"
    mkdir -p "$GO_BIN"
    ln -sf "$TOXI_DIR/server" "$GO_BIN/toxiproxy-server"
  fi
else
  echo "warning: no Go toolchain: Toxiproxy not installed; link faults will not run" >&2
fi

# llama.cpp's llama-server (the `runtime: llamacpp` replicas), built once from the pinned PyPI sdist
# of llama-cpp-python (its vendor/llama.cpp is the whole llama.cpp tree), cached by version under
# ~/.cache/halab; skipped when the binary is there. About 8 minutes on 2 cores the first time.
# HALAB_LLAMA_CUDA=1 builds with -DGGML_CUDA=ON instead (a GPU machine with the CUDA toolkit).
# Then the tiny models (random weights from fixed seeds, written in seconds by gguf-py + numpy).
LLAMA_PY_VERSION=0.3.36
NUMPY_VERSION=1.26.4
HALAB_CACHE="${HALAB_CACHE:-$HOME/.cache/halab}"
LLAMA_SRC="$HALAB_CACHE/llama-$LLAMA_PY_VERSION/vendor/llama.cpp"
LLAMA_BIN="$LLAMA_SRC/build/bin/llama-server"
if [ ! -x "$LLAMA_BIN" ]; then
  for tool in cmake g++; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
        log "apt-get install cmake g++"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cmake g++ >/dev/null
      fi
      break
    fi
  done
  if [ ! -d "$LLAMA_SRC" ]; then
    log "pip download llama-cpp-python==$LLAMA_PY_VERSION (sdist)"
    mkdir -p "$HALAB_CACHE/src"
    python3 -m pip download --quiet --no-deps --no-binary :all: -d "$HALAB_CACHE/src" "llama-cpp-python==$LLAMA_PY_VERSION"
    tar -xzf "$HALAB_CACHE/src/llama_cpp_python-$LLAMA_PY_VERSION.tar.gz" -C "$HALAB_CACHE"
    mv "$HALAB_CACHE/llama_cpp_python-$LLAMA_PY_VERSION" "$HALAB_CACHE/llama-$LLAMA_PY_VERSION"
  fi
  log "build llama-server (llama.cpp of llama-cpp-python $LLAMA_PY_VERSION)"
  CUDA_FLAG=-DGGML_CUDA=OFF; [ "${HALAB_LLAMA_CUDA:-0}" = 1 ] && CUDA_FLAG=-DGGML_CUDA=ON
  (cd "$LLAMA_SRC" && cmake -B build -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF "$CUDA_FLAG" >/dev/null \
    && cmake --build build --target llama-server -j "$(nproc)" >/dev/null)
fi
if ! python3 -c "import numpy" >/dev/null 2>&1; then
  log "pip install numpy==$NUMPY_VERSION"
  python3 -m pip install --quiet "numpy==$NUMPY_VERSION" || python3 -m pip install --quiet --break-system-packages "numpy==$NUMPY_VERSION"
fi
mkdir -p "$HALAB_CACHE/models"
for v in 1 2; do
  MODEL="$HALAB_CACHE/models/tiny-llama-v$v.gguf"
  if [ ! -s "$MODEL" ]; then
    log "tiny model v$v"
    python3 scripts/make-tiny-llama.py --llama-src "$LLAMA_SRC" --out "$MODEL.tmp" --seed "$v" && mv "$MODEL.tmp" "$MODEL"
  fi
done

# Docker for `container: true` clusters (README "Containers"): dockerd started when none answers,
# the Debian base image (debootstrap) and the replica image (cluster/images/replica) built once.
# About 80 s the first time; skipped when done. HALAB_SKIP_DOCKER=1 skips it.
if [ "${HALAB_SKIP_DOCKER:-0}" != 1 ]; then
  log "docker (scripts/setup-docker.sh)"
  if ! bash scripts/setup-docker.sh; then
    [ "${HALAB_REQUIRE_DOCKER:-0}" = 1 ] && { echo "error: docker setup failed (HALAB_REQUIRE_DOCKER=1)" >&2; exit 1; }
    echo "warning: docker setup failed (see ${HALAB_CACHE}/docker-setup.log): container clusters will not run" >&2
  fi
fi

log "npm ci"
npm ci --no-audit --no-fund --loglevel=error

log "build"
npm run build --silent

echo
echo "setup done: run 'npx halab run' (default scenario) or 'npm test'"
