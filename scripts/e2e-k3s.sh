#!/usr/bin/env bash
# End-to-end check with REAL k3s. NEEDS THE NETWORK: it downloads the pinned k3s release and its
# airgap images (scripts/build-image.sh without --without-k3s), which the nucmesh build environment
# cannot do; the test suite uses the k3s stand-in (test/k3s-stand-in/) instead. Run as root on Debian
# with QEMU (KVM strongly advised: three k3s servers under TCG take very long).
#
# What it does: builds the image with k3s, boots three VMs as three NUCs (distinct SMBIOS serials) on
# one bridge with a DHCP server, waits, then checks with kubectl through the first VM's kubeconfig:
# one cluster of 3 Ready nodes, 3 etcd members (etcd's own member list), and the hardware labels
# (nucmesh.io/*) on every node. Everything it creates (bridge, taps, dnsmasq, QEMU) is removed on exit,
# processes by their PID.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<EOF
Usage: scripts/e2e-k3s.sh [--out DIR] [--timeout SECONDS] [--memory MB] [--keep]

  --out DIR        Work directory (default: out/e2e-k3s): image, fleet config, VM disks, logs.
  --timeout S      How long the cluster may take to form (default: 1800).
  --memory MB      RAM per VM (default: 2560; a k3s server wants about 1.6 GB).
  --keep           Leave the VMs running at the end (Ctrl-C stops and removes them).
  -h, --help       Show this help.

Needs the network (k3s download), root, qemu-system-x86, qemu-utils, ovmf, dnsmasq and
openssh-client; kubectl runs on the first VM ('k3s kubectl' over SSH with a key it makes).
EOF
}

out=out/e2e-k3s
timeout=1800
memory=2560
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'e2e-k3s: unknown option %s\n' "$1" >&2; usage >&2; exit 2 ;;
  esac
done

say() { printf '== %s [%ss]\n' "$*" "$SECONDS"; }
die() { printf 'e2e-k3s: FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (bridge, taps, QEMU)"
for tool in qemu-system-x86_64 qemu-img dnsmasq ssh ssh-keygen node ip; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install qemu-system-x86 qemu-utils dnsmasq openssh-client)"
done
[ -r /usr/share/OVMF/OVMF_CODE_4M.fd ] || die "OVMF is missing (apt-get install ovmf)"

mkdir -p "$out"
out=$(readlink -f "$out")
bridge=nme2e$$
pids=()
taps=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for tap in "${taps[@]}"; do ip link del "$tap" 2>/dev/null || true; done
  ip link del "$bridge" 2>/dev/null || true
}
trap cleanup EXIT

say "build nucmesh and a fleet config with an SSH key"
npm run build --silent
rm -f "$out/fleet.yaml" "$out/id_ed25519" "$out/id_ed25519.pub"
node dist/src/cli/bin.js fleet init "$out/fleet.yaml" --name e2e-k3s
ssh-keygen -q -t ed25519 -N '' -f "$out/id_ed25519"
node --input-type=module -e "
  import { readFileSync, writeFileSync } from 'node:fs';
  import { parse, stringify } from 'yaml';
  const f = process.argv[1];
  const doc = parse(readFileSync(f, 'utf8'));
  doc.ssh = { authorizedKeys: [readFileSync(process.argv[2], 'utf8').trim()] };
  writeFileSync(f, stringify(doc), { mode: 0o600 });" "$out/fleet.yaml" "$out/id_ed25519.pub"
node dist/src/cli/bin.js fleet check "$out/fleet.yaml"

say "build the image with k3s (downloads the pinned release)"
scripts/build-image.sh --out "$out/image" --fleet "$out/fleet.yaml"
img=$(find "$out/image" -maxdepth 1 -name "nucmesh-*.img" | head -1)
[ -f "$img" ] || die "no image in $out/image"

say "bridge $bridge with DHCP (10.99.0.0/24)"
ip link add "$bridge" type bridge
ip link set "$bridge" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
ip addr add 10.99.0.1/24 dev "$bridge"
ip link set "$bridge" up
dnsmasq --keep-in-foreground --bind-interfaces --interface="$bridge" --except-interface=lo \
  --dhcp-range=10.99.0.10,10.99.0.99,12h --dhcp-leasefile="$out/leases" --port=0 \
  --log-facility="$out/dnsmasq.log" &
pids+=($!)

serials=(G6TN00000001 G6TN00000002 G6TN00000003)
for i in 0 1 2; do
  tap=nme2e$$t$i
  ip tuntap add dev "$tap" mode tap
  ip link set "$tap" master "$bridge" up
  taps+=("$tap")
  qemu-img create -q -f qcow2 -F raw -b "$img" "$out/vm$i.qcow2" 16G
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$out/vm$i.vars.fd"
  smbios="manufacturer=Intel(R) Client Systems,product=NUC11TNHi5,serial=${serials[$i]}"
  # KVM where it works, else TCG (QEMU tries the accelerators in order).
  qemu-system-x86_64 -accel kvm -accel tcg -machine q35 -m "$memory" -smp 2 -display none \
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd" \
    -drive "if=pflash,format=raw,unit=1,file=$out/vm$i.vars.fd" \
    -drive "if=none,id=disk0,format=qcow2,file=$out/vm$i.qcow2" -device "nvme,drive=disk0,serial=e2e$i,bootindex=0" \
    -smbios "type=1,$smbios" -smbios "type=2,$smbios" \
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" -device "virtio-net-pci,netdev=n0,mac=52:54:00:e2:e2:0$i" \
    -serial "file:$out/vm$i.serial.log" &
  pids+=($!)
  say "VM $i booting (serial ${serials[$i]}, console $out/vm$i.serial.log)"
done

ssh_to() { # IP COMMAND...
  local ip=$1; shift
  ssh -q -i "$out/id_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 \
    -o BatchMode=yes "root@$ip" "$@"
}

say "wait for three DHCP leases"
deadline=$((SECONDS + timeout))
while [ "$(wc -l <"$out/leases" 2>/dev/null || echo 0)" -lt 3 ]; do
  [ $SECONDS -lt $deadline ] || die "the VMs did not all get an address (see $out/dnsmasq.log, $out/vm*.serial.log)"
  sleep 5
done
mapfile -t ips < <(awk '{print $3}' "$out/leases" | sort -t. -k4 -n)
say "VMs at ${ips[*]}"

kubectl_in() { ssh_to "${ips[0]}" k3s kubectl "$@"; }

say "wait for one cluster of 3 Ready nodes"
while :; do
  ready=$(kubectl_in get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l || true)
  [ "$ready" = 3 ] && break
  [ $SECONDS -lt $deadline ] || { kubectl_in get nodes -o wide || true; die "not 3 Ready nodes within ${timeout}s"; }
  sleep 10
done
kubectl_in get nodes -o wide

say "the same cluster from every VM (one CA, one node list)"
hash0=$(ssh_to "${ips[0]}" sha256sum /var/lib/rancher/k3s/server/tls/server-ca.crt | cut -d' ' -f1)
for ip in "${ips[@]}"; do
  h=$(ssh_to "$ip" sha256sum /var/lib/rancher/k3s/server/tls/server-ca.crt 2>/dev/null | cut -d' ' -f1 || true)
  [ "$h" = "$hash0" ] || die "$ip has another cluster CA ($h, not $hash0): two clusters formed"
done

say "3 etcd members (etcd's own member list)"
# The image has node, not curl: etcd's grpc-gateway, with the etcd client certificate k3s made.
members=$(ssh_to "${ips[0]}" node - <<'EOF'
const fs = require('fs');
const tls = '/var/lib/rancher/k3s/server/tls/etcd/';
const req = require('https').request('https://127.0.0.1:2379/v3/cluster/member/list', {
  method: 'POST',
  ca: fs.readFileSync(tls + 'server-ca.crt'),
  cert: fs.readFileSync(tls + 'client.crt'),
  key: fs.readFileSync(tls + 'client.key'),
}, (res) => res.pipe(process.stdout));
req.end('{}');
EOF
)
count=$(printf '%s' "$members" | node -e "
  const m = JSON.parse(require('fs').readFileSync(0, 'utf8')).members ?? [];
  console.log(m.filter((x) => !x.isLearner).length);")
[ "$count" = 3 ] || die "etcd has $count voting members, not 3: $members"

say "hardware labels on every node"
labels=$(kubectl_in get nodes -o json)
printf '%s' "$labels" | node -e "
  const nodes = JSON.parse(require('fs').readFileSync(0, 'utf8')).items;
  const bad = nodes.filter((n) => !Object.keys(n.metadata.labels).some((k) => k.startsWith('nucmesh.io/')));
  for (const n of nodes) console.log(n.metadata.name, Object.entries(n.metadata.labels)
    .filter(([k]) => k.startsWith('nucmesh.io/')).map(([k, v]) => k + '=' + v).join(' '));
  if (nodes.length !== 3 || bad.length > 0) { console.error('nodes without nucmesh.io/ labels:', bad.map((n) => n.metadata.name)); process.exit(1); }
" || die "hardware labels missing"

say "PASS: one cluster, 3 Ready nodes, 3 etcd members, hardware labels"
if [ "$keep" = 1 ]; then
  say "VMs left running (--keep); Ctrl-C stops and removes them"
  wait
fi
