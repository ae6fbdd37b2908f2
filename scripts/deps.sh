#!/usr/bin/env bash
# Install the Debian packages jailnet's tests and demo need, idempotently: nothing is
# downloaded when everything is already installed. Needs root (or sudo) for apt-get.
set -euo pipefail

# protobuf-compiler: the etcd-client crate's build script runs protoc (jailnet-cluster).
# etcd-server + etcd-client: the cluster tests start a throwaway etcd on 127.0.0.1.
pkgs=(iproute2 iputils-ping nftables dnsmasq-base iperf3 isc-dhcp-client mandoc
      protobuf-compiler etcd-server etcd-client)
[ "${1:-}" = "--bench" ] && pkgs+=(containernetworking-plugins netavark hyperfine)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: apt-get not found; please install: ${missing[*]}" >&2
    exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
