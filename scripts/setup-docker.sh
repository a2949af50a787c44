#!/usr/bin/env bash
# Docker for `container: true` clusters, on a machine where no image registry is reachable:
# starts dockerd (Debian's docker.io; no bridge, no iptables: lab containers use host networking)
# when no Docker daemon answers, builds the base image from Debian packages (debootstrap minbase,
# then `docker import`), and the lab's replica image from cluster/images/replica/Dockerfile.
# Idempotent (each step is skipped when done), logged to $HALAB_CACHE/docker-setup.log, and bounded:
# debootstrap gets HALAB_DEBOOTSTRAP_TIMEOUT_S (default 900) seconds, the daemon 60.
set -euo pipefail
cd "$(dirname "$0")/.."
HALAB_CACHE="${HALAB_CACHE:-$HOME/.cache/halab}"
mkdir -p "$HALAB_CACHE"
LOG="$HALAB_CACHE/docker-setup.log"
log() { printf '== %s\n' "$*" | tee -a "$LOG"; }
BASE_IMAGE=halab-debian-base:bookworm
# HALAB_REQUIRE_DOCKER=1 (CI): what would be a warning is an error
skip() { echo "warning: $*: container clusters will not run" >&2; [ "${HALAB_REQUIRE_DOCKER:-0}" = 1 ] && exit 1; exit 0; }
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

if ! command -v docker >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    log "apt-get install docker.io debootstrap"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker.io debootstrap >>"$LOG" 2>&1
  else
    skip "no docker/debootstrap and not root"
  fi
fi

if ! docker info >/dev/null 2>&1; then
  DOCKERD="$(command -v dockerd || echo /usr/sbin/dockerd)"
  if [ ! -x "$DOCKERD" ] || { [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; }; then
    skip "no Docker daemon answers and dockerd cannot be started here"
  fi
  log "start dockerd --bridge=none --iptables=false (log: $HALAB_CACHE/dockerd.log)"
  # setsid: the daemon outlives this script (and CI's shell); it is the machine's, not a lab's
  $SUDO setsid nohup "$DOCKERD" --bridge=none --iptables=false --ip-masq=false >>"$HALAB_CACHE/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "error: dockerd did not answer within 60s; see $HALAB_CACHE/dockerd.log" >&2; exit 1; }
fi

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  ROOTFS="$(mktemp -d "${TMPDIR:-/tmp}/halab-rootfs.XXXXXX")"
  trap '$SUDO rm -rf "$ROOTFS"' EXIT
  MIRROR="${HALAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  log "debootstrap --variant=minbase bookworm ($MIRROR) -> $BASE_IMAGE"
  start=$(date +%s)
  timeout "${HALAB_DEBOOTSTRAP_TIMEOUT_S:-900}" $SUDO debootstrap --variant=minbase --include=libgomp1,libssl3 bookworm "$ROOTFS" "$MIRROR" >>"$LOG" 2>&1
  $SUDO rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
  $SUDO tar -C "$ROOTFS" -c . | docker import -c 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >>"$LOG"
  log "base image built in $(( $(date +%s) - start ))s"
fi

# The replica image's tag names the Node binary and the Dockerfile (src/process/container-image.ts
# computes the same tag): a new Node or Dockerfile is a new image, an unchanged one is not rebuilt.
NODE_BIN="$(command -v node)"
DOCKERFILE=cluster/images/replica/Dockerfile
TAG="halab-replica:node$("$NODE_BIN" --version | tr -d v)-$(sha256sum "$DOCKERFILE" | cut -c1-12)"
if ! docker image inspect "$TAG" >/dev/null 2>&1; then
  CTX="$(mktemp -d "${TMPDIR:-/tmp}/halab-image.XXXXXX")"
  cp "$DOCKERFILE" "$CTX/Dockerfile"
  cp "$(readlink -f "$NODE_BIN")" "$CTX/node"
  log "docker build $TAG"
  start=$(date +%s)
  DOCKER_BUILDKIT=0 docker build --network host -q -t "$TAG" "$CTX" >>"$LOG" 2>&1 || { rm -rf "$CTX"; echo "error: docker build $TAG failed; see $LOG" >&2; exit 1; }
  rm -rf "$CTX"
  log "replica image built in $(( $(date +%s) - start ))s"
fi
echo "docker: ready ($TAG)"
