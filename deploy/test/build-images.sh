#!/usr/bin/env bash
# Builds, with podman, every image docker-compose.yml runs, from what a machine without Docker Hub
# reaches (issue: the image is built and the stack runs in CI):
#   localhost/wxq-bookworm:minbase     debootstrap --variant=minbase bookworm, Debian's mirror
#   localhost/wxq-node:24-bookworm     the layout of node:24-bookworm-slim: Node 24 from npm's
#                                      node-linux-<arch> package, npm from `npm`, user node (1000)
#   localhost/wxq-redis:standin        Debian's redis-server, for redis:7-alpine
#   localhost/wxq-nginx:standin        Debian's nginx, for nginx:stable-alpine
#   localhost/wxq:test                 the real Dockerfile, unchanged, FROM the node image
# Base images already in podman's store are reused. Prints the product image's size and packages.
set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
work=${WXQ_IMAGE_WORK:-/var/tmp/wxq-images}
mkdir -p "$work"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Sandboxed machines refuse podman's default rlimits for containers.
if [ -z "${CONTAINERS_CONF:-}" ]; then
  printf '[containers]\ndefault_ulimits = []\n' >"$work/containers.conf"
  export CONTAINERS_CONF="$work/containers.conf"
fi

base=localhost/wxq-bookworm:minbase
node_image=localhost/wxq-node:24-bookworm
product=localhost/wxq:test

if ! podman image exists "$base"; then
  echo "building $base (debootstrap)"
  rm -rf "$work/rootfs"
  as_root debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log"
  tar -C "$work/rootfs" -c . | podman import - "$base" >/dev/null
fi

if ! podman image exists "$node_image"; then
  echo "building $node_image"
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "no node-linux package for $(uname -m)" >&2; exit 1 ;;
  esac
  rm -rf "$work/node" && mkdir -p "$work/node"
  npm pack "node-linux-${arch}@24" npm@11 --pack-destination "$work/node" --silent >/dev/null
  mkdir -p "$work/node/bin" "$work/node/npm"
  tar xzf "$work"/node/node-linux-*.tgz -C "$work/node/bin"
  tar xzf "$work"/node/npm-*.tgz -C "$work/node/npm"
  # The rootfs again (podman import made a copy of it), with Node, npm and the node user added.
  [ -d "$work/rootfs" ] || {
    podman create --name wxq-base-export "$base" true >/dev/null
    mkdir -p "$work/rootfs"
    podman export wxq-base-export | tar -x -C "$work/rootfs"
    podman rm wxq-base-export >/dev/null
  }
  root=$work/rootfs
  install -m 0755 "$work/node/bin/package/bin/node" "$root/usr/local/bin/node"
  rm -rf "$root/usr/local/lib/node_modules/npm" && mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$work/node/npm/package" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" sh -c 'id node >/dev/null 2>&1 || { groupadd -g 1000 node && useradd -u 1000 -g node -m -s /bin/sh node; }'
  # This machine's trusted CAs: npm ci inside the build goes through the same network (an egress
  # proxy with its own CA, on sandboxed machines), and node reads NODE_EXTRA_CA_CERTS.
  mkdir -p "$root/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  tar -C "$root" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["node"]' - "$node_image" >/dev/null
fi

for standin in redis nginx; do
  if ! podman image exists "localhost/wxq-$standin:standin"; then
    echo "building localhost/wxq-$standin:standin"
    podman build -q --build-arg "BASE_IMAGE=$base" -f "deploy/test/standin-$standin.Containerfile" \
      -t "localhost/wxq-$standin:standin" deploy/test >/dev/null
  fi
done

echo "building $product from the Dockerfile"
started=$(date +%s)
podman build -q --build-arg "NODE_IMAGE=$node_image" -t "$product" . >/dev/null
echo "built in $(($(date +%s) - started)) s"

size=$(podman image inspect --format '{{.Size}}' "$product")
# Installed packages, workspaces included, as npm counts them.
packages=$(podman run --rm "$product" sh -c 'npm ls --all --parseable 2>/dev/null | wc -l')
echo "image $product: $((size / 1000000)) MB, $packages packages installed"
# The runtime stage installs production dependencies only: a dev dependency there fails the build.
for dev in vitest typescript testcontainers eslint; do
  if podman run --rm "$product" node -e "require.resolve('$dev')" >/dev/null 2>&1; then
    echo "the runtime image holds the dev dependency $dev" >&2
    exit 1
  fi
done
echo "no dev dependencies in the runtime image (vitest, typescript, testcontainers, eslint)"
