#!/usr/bin/env bash
# jailnet's benchmark (`make bench`; needs root; not part of `make test`). In sandbox namespaces
# only (the real host's interfaces and firewall are never touched), same machine, same run:
#   1. for N in $BENCH_NS (default 100 500 1000): attach N jail namespaces to one bridge with an
#      IPv4 address each and a default route, then tear them down, with jailnet (release build,
#      namespaces pre-created like the peers do; and again with jailnet creating them) and the
#      peers of bench/peers.sh (shell `ip`, `ip -batch`, CNI bridge + host-local, netavark);
#   2. a no-op `jailnet up` on 1000 jails (hyperfine, 3 warm-up + 50 runs, mean and median,
#      when installed; else repeated timing);
#   3. jail<->jail TCP throughput over a jailnet switch vs a direct veth pair, and jail ->
#      upstream namespace through jailnet's NAT (iperf3, namespaces only; the three paths
#      in turn $IPERF_ROUNDS times (default 5), each path's median);
#   4. processes spawned per VNET NIC and per firewall change by the FreeBSD backend (simulator
#      transcript), next to iocage's and pot's.
# Writes bench/out/{results.tsv,table.md,noop.txt,iperf.tsv,freebsd.txt,plot.svg}.
# A Linux bridge holds at most 1023 ports, so N <= 1000 fits one switch (one bridge) for every tool.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/bench/out
J=$ROOT/target/release/jailnet
HOST=bench-host
ST=/tmp/bench-jailnet
NS_LIST=${BENCH_NS:-100 500 1000}
IPERF_SECONDS=${IPERF_SECONDS:-5}
IPERF_ROUNDS=${IPERF_ROUNDS:-5}
mkdir -p "$OUT"

cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep -E '^(bench-host|bench-host-.*|bench-up|bench-va|bench-vb|bj[0-9]+)$'); do
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$ST" /etc/netns/bench-host-*
}
trap cleanup EXIT
now() { date +%s.%N; }
settle() { while ip -n $HOST -o link show type veth 2>/dev/null | grep -q .; do sleep 0.005; done; }
jn() { "$J" --backend linux --host-netns $HOST --state-dir "$ST" -c "$ST/jailnet.toml" "$@"; }

# The config: switch br0 (10.77.0.1/16), jails j1..jN with eth0 at the same addresses the peers use.
config() {
  local n=$1 i
  {
    printf '[switch.br0]\naddress = ["10.77.0.1/16"]\n'
    for i in $(seq 1 "$n"); do
      printf '[jail.j%d]\n[[jail.j%d.nic]]\nname = "eth0"\nswitch = "br0"\nip4 = ["10.77.%d.%d/16"]\n' \
        "$i" "$i" $((i / 250)) $((i % 250 + 2))
    done
  }
}

# jailnet: up then down, namespaces pre-created (untimed) when $2 = pre.
jailnet_run() {
  local n=$1 mode=$2 s e t
  cleanup; mkdir -p "$ST"; ip netns add $HOST
  config "$n" > "$ST/jailnet.toml"
  if [ "$mode" = pre ]; then for i in $(seq 1 "$n"); do ip netns add $HOST-j$i; done; fi
  s=$(now)
  jn up > /dev/null || { echo "jailnet up failed (N=$n)" >&2; return 1; }
  e=$(now)
  jn down > /dev/null || { echo "jailnet down failed (N=$n)" >&2; return 1; }
  settle; t=$(now)
  local name=jailnet; [ "$mode" = pre ] || name=jailnet+netns
  awk -v m=$name -v n="$n" -v s="$s" -v e="$e" -v t="$t" 'BEGIN{printf "RESULT %s %d %.4f %.4f\n", m, n, e-s, t-e}'
}

echo "== machine: $(nproc) cpus, $(free -h | awk '/Mem:/{print $2}') RAM, kernel $(uname -r)" | tee "$OUT/machine.txt"
[ -x "$J" ] || { echo "build first: cargo build --release -p jailnet-cli" >&2; exit 1; }

# 1. setup + teardown per jail for every tool.
: > "$OUT/results.tsv"
# jailnet's rows are the median of $JAILNET_RUNS runs (this VM's run-to-run noise is ±20 %);
# the peers, minutes per run at N = 1000, run once.
: > "$OUT/results.raw"
for n in $NS_LIST; do
  for r in $(seq 1 "${JAILNET_RUNS:-3}"); do
    for mode in pre create; do
      jailnet_run "$n" $mode | tee -a "$OUT/results.raw"
    done
  done
  cleanup
  bench/peers.sh "$n" | tee -a "$OUT/results.raw"
done
python3 - "$OUT/results.raw" > "$OUT/results.tsv" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] == "RESULT":
        runs.setdefault((f[1], int(f[2])), []).append((float(f[3]), float(f[4])))
for (tool, n), rs in runs.items():
    setup = statistics.median(r[0] for r in rs) * 1000 / n
    down = statistics.median(r[1] for r in rs) * 1000 / n
    print(f"{tool}\t{n}\t{setup:.3f}\t{down:.3f}")
PY
rm -f "$OUT/results.raw"

# 2. no-op `up` of 1000 jails (everything already converged).
cleanup; mkdir -p "$ST"; ip netns add $HOST; config 1000 > "$ST/jailnet.toml"
jn up > /dev/null
if command -v hyperfine > /dev/null; then
  hyperfine -N -w 3 -r 50 --export-json "$OUT/noop.json" \
    "$J --backend linux --host-netns $HOST --state-dir $ST -c $ST/jailnet.toml up" | tee "$OUT/noop.txt"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("  median %.1f ms" % (r["median"]*1000))' \
    "$OUT/noop.json" | tee -a "$OUT/noop.txt"
else
  for r in 1 2 3 4 5; do s=$(now); jn up > /dev/null; e=$(now); awk -v s="$s" -v e="$e" 'BEGIN{printf "noop up: %.1f ms\n", (e-s)*1000}'; done | tee "$OUT/noop.txt"
fi
jn down > /dev/null
cleanup

# 3. throughput: direct veth pair, jailnet switch, jailnet NAT to an upstream namespace.
iperf() { # iperf() SERVER_NS CLIENT_NS SERVER_IP -> Gbit/s
  ip netns exec "$1" iperf3 -s -1 -D -I /tmp/bench-iperf.pid > /dev/null 2>&1
  sleep 0.3
  ip netns exec "$2" iperf3 -c "$3" -t "$IPERF_SECONDS" -J 2> /dev/null | jq '.end.sum_received.bits_per_second / 1e9'
  [ -f /tmp/bench-iperf.pid ] && kill "$(cat /tmp/bench-iperf.pid)" 2> /dev/null; rm -f /tmp/bench-iperf.pid
}
ip netns add bench-va; ip netns add bench-vb
ip -n bench-va link add eth0 type veth peer name eth0 netns bench-vb
ip -n bench-va addr add 10.79.0.1/24 dev eth0; ip -n bench-vb addr add 10.79.0.2/24 dev eth0
for ns in bench-va bench-vb; do ip -n $ns link set eth0 up; ip -n $ns link set lo up; done

mkdir -p "$ST"; ip netns add $HOST; ip netns add bench-up
ip -n $HOST link add up0 type veth peer name eth0 netns bench-up
ip -n $HOST addr add 192.0.2.1/24 dev up0; ip -n $HOST link set up0 up; ip -n $HOST link set lo up
ip -n bench-up addr add 192.0.2.2/24 dev eth0; ip -n bench-up link set eth0 up; ip -n bench-up link set lo up
cat > "$ST/jailnet.toml" <<T
[host]
uplink = "up0"
[switch.lan]
address = ["10.78.0.1/24"]
nat = true
[jail.a]
[[jail.a.nic]]
switch = "lan"
ip4 = ["10.78.0.2/24"]
[jail.b]
[[jail.b.nic]]
switch = "lan"
ip4 = ["10.78.0.3/24"]
T
jn up > /dev/null || echo "jailnet up (throughput) failed" >&2
# The three paths in turn, $IPERF_ROUNDS times (one iperf3 run on this VM varies by up to
# 20 %); each path's median.
: > "$OUT/iperf.raw"
for r in $(seq 1 "$IPERF_ROUNDS"); do
  printf 'direct %s\n' "$(iperf bench-va bench-vb 10.79.0.1)" >> "$OUT/iperf.raw"
  printf 'bridged %s\n' "$(iperf $HOST-a $HOST-b 10.78.0.2)" >> "$OUT/iperf.raw"
  printf 'nat %s\n' "$(iperf bench-up $HOST-a 192.0.2.2)" >> "$OUT/iperf.raw"
done
jn down > /dev/null
python3 - "$OUT/iperf.raw" <<'PY' | tee "$OUT/iperf.tsv"
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 2:
        runs.setdefault(f[0], []).append(float(f[1]))
med = {k: statistics.median(v) for k, v in runs.items()}
d = med["direct"]
print("path\tGbit/s\tof direct\truns")
for key, name in [("direct", "direct veth pair"), ("bridged", "jailnet switch (bridge)"),
                  ("nat", "jailnet NAT to upstream")]:
    each = " ".join(f"{x:.2f}" for x in runs[key])
    print(f"{name}\t{med[key]:.2f}\t{med[key] * 100 / d:.1f} %\t{each}")
PY
cleanup

# 4. FreeBSD backend: processes per VNET NIC and per firewall change (simulator transcript).
cargo run -q --release -p jailnet-freebsd --example process_counts | tee "$OUT/freebsd.txt"

# The table and the plot.
python3 bench/report.py "$OUT" | tee "$OUT/table.md"
