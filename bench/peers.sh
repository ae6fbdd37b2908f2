#!/usr/bin/env bash
# Peer baselines, setup AND teardown: attach N network namespaces ("jails") to one bridge with an
# IPv4 address each and a default route, inside a sandbox host namespace, with the tools a user
# would pick instead of jailnet; then remove what each made. Extended from shared/bench/peers.sh
# (same setup steps) with a timed teardown per method:
#   shell-ip    one `ip link del hK` per jail
#   ip-batch    one `ip -batch` of `link del hK`
#   cni-bridge  one CNI DEL per jail
#   netavark    one `netavark teardown` per jail
# Teardown time runs until the kernel really has no veth left in the host namespace.
# Namespaces are pre-created (untimed) like jailnet's "pre-created" figure.
# One bridge holds at most 1023 ports (kernel BR_MAX_PORTS 1024), so N must be <= 1023 here;
# jailnet's run.sh uses the same limit (one switch).
# Usage: peers.sh N [METHOD...]   (default: all four). Prints, per method:
#   RESULT <method> <N> <setup seconds> <teardown seconds>
set -u
N=${1:-100}
shift || true
METHODS=${*:-shell-ip ip-batch cni-bridge netavark}
if [ "$N" -gt 1023 ]; then
  echo "peers.sh: N=$N > 1023 ports: a Linux bridge holds at most 1023 ports" >&2
  exit 2
fi
HOST=bench-host
NV=/usr/lib/podman/netavark
CNI=/usr/lib/cni

cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep -E '^(bench-host|bj[0-9]+)$'); do ip netns del "$ns" 2>/dev/null; done
  rm -rf /tmp/bench-cni /tmp/bench-nv /tmp/bench-batch /tmp/bench-cni.json
}
trap cleanup EXIT
mkns() { for i in $(seq 1 "$N"); do ip netns add "bj$i"; done; }
now() { date +%s.%N; }
ip4() { echo "10.77.$(($1 / 250)).$(($1 % 250 + 2))"; }
# Wait until the host namespace holds no veth: a teardown is done when the kernel is done.
settle() { while ip -n $HOST -o link show type veth | grep -q .; do sleep 0.005; done; }
mkhost() {
  cleanup; ip netns add $HOST; mkns
  ip -n $HOST link add br0 type bridge; ip -n $HOST addr add 10.77.0.1/16 dev br0; ip -n $HOST link set br0 up
}
result() { awk -v m="$1" -v n="$N" -v s="$2" -v e="$3" -v t="$4" 'BEGIN{printf "RESULT %s %d %.4f %.4f\n", m, n, e-s, t-e}'; }

shell_ip() {
  mkhost
  local s e t
  s=$(now)
  for i in $(seq 1 "$N"); do
    ip -n $HOST link add h$i type veth peer name eth0 netns bj$i
    ip -n $HOST link set h$i master br0 up
    ip -n bj$i addr add "$(ip4 $i)/16" dev eth0
    ip -n bj$i link set eth0 up
    ip -n bj$i link set lo up
    ip -n bj$i route add default via 10.77.0.1
  done
  e=$(now)
  for i in $(seq 1 "$N"); do ip -n $HOST link del h$i; done
  settle; t=$(now); result shell-ip "$s" "$e" "$t"
}

ip_batch() {
  mkhost
  local B=/tmp/bench-batch s e t
  : > $B
  for i in $(seq 1 "$N"); do echo "link add h$i type veth peer name eth0 netns bj$i" >> $B; echo "link set h$i master br0 up" >> $B; done
  s=$(now)
  ip -n $HOST -batch $B
  for i in $(seq 1 "$N"); do
    printf 'addr add %s/16 dev eth0\nlink set eth0 up\nlink set lo up\nroute add default via 10.77.0.1\n' "$(ip4 $i)" | ip -n bj$i -batch -
  done
  e=$(now)
  : > $B
  for i in $(seq 1 "$N"); do echo "link del h$i" >> $B; done
  ip -n $HOST -batch $B
  settle; t=$(now); result ip-batch "$s" "$e" "$t"
}

cni() {
  mkhost
  cat > /tmp/bench-cni.json <<J
{"cniVersion":"1.0.0","name":"bench","type":"bridge","bridge":"br0","isGateway":true,"ipMasq":false,
 "ipam":{"type":"host-local","subnet":"10.77.0.0/16","dataDir":"/tmp/bench-cni"}}
J
  local s e t cmd
  run() {
    ip netns exec $HOST env CNI_COMMAND=$1 CNI_CONTAINERID=c$2 CNI_NETNS=/var/run/netns/bj$2 CNI_IFNAME=eth0 CNI_PATH=$CNI \
      $CNI/bridge < /tmp/bench-cni.json > /dev/null
  }
  s=$(now)
  for i in $(seq 1 "$N"); do run ADD $i || { echo "cni ADD failed at $i" >&2; break; }; done
  e=$(now)
  for i in $(seq 1 "$N"); do run DEL $i || { echo "cni DEL failed at $i" >&2; break; }; done
  settle; t=$(now); result cni-bridge "$s" "$e" "$t"
}

nv_opts() {
  cat <<J
{"container_id":"c$1","container_name":"c$1","networks":{"bench":{"interface_name":"eth0","static_ips":["$(ip4 $1)"]}},
 "network_info":{"bench":{"name":"bench","id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","driver":"bridge",
 "network_interface":"br0","subnets":[{"subnet":"10.77.0.0/16","gateway":"10.77.0.1"}],"ipv6_enabled":false,"internal":false,"dns_enabled":false}},
 "port_mappings":[]}
J
}

netavark() {
  # netavark makes its own bridge: start from a host namespace without br0.
  cleanup; ip netns add $HOST; mkns; mkdir -p /tmp/bench-nv
  local s e t
  s=$(now)
  for i in $(seq 1 "$N"); do
    nv_opts $i > /tmp/bench-nv/opts.json
    ip netns exec $HOST $NV --config /tmp/bench-nv setup /var/run/netns/bj$i < /tmp/bench-nv/opts.json > /dev/null \
      || { echo "netavark setup failed at $i" >&2; break; }
  done
  e=$(now)
  for i in $(seq 1 "$N"); do
    nv_opts $i > /tmp/bench-nv/opts.json
    ip netns exec $HOST $NV --config /tmp/bench-nv teardown /var/run/netns/bj$i < /tmp/bench-nv/opts.json > /dev/null \
      || { echo "netavark teardown failed at $i" >&2; break; }
  done
  settle; t=$(now); result netavark "$s" "$e" "$t"
}

for m in $METHODS; do
  case $m in
    shell-ip) shell_ip ;;
    ip-batch) ip_batch ;;
    cni-bridge) cni ;;
    netavark) netavark ;;
    *) echo "peers.sh: unknown method $m" >&2; exit 2 ;;
  esac
done
