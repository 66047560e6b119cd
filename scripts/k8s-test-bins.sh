#!/usr/bin/env bash
# Builds the real upstream Kubernetes parts the tests run under nucmesh's k3s stand-in:
# etcd + etcdctl, kube-apiserver, kube-controller-manager and kubemark (the real kubelet with a
# fake container runtime), at the versions in scripts/k8s-versions.env (those inside the k3s
# release the image pins). Run `scripts/k8s-test-bins.sh --help`.
set -euo pipefail
umask 022

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=k8s-versions.env
source "$repo/scripts/k8s-versions.env"
# Bump when the way the binaries are built changes (part of the stamp).
RECIPE=1
K8S_COMMANDS=(kube-apiserver kube-controller-manager kubemark)
EXIT_NO_GO=3

out_root=${NUCMESH_K8S_BINS:-$repo/.cache/k8s}
go_cache=${NUCMESH_GO_CACHE:-/var/cache/nucmesh/go}
check_only=0

usage() {
  cat <<EOF
Usage: scripts/k8s-test-bins.sh [options]

Builds, from the Go module proxy, with -trimpath and stripped:
  etcd, etcdctl                 go.etcd.io/etcd $ETCD_VERSION
  kube-apiserver, kube-controller-manager, kubemark
                                k8s.io/kubernetes $KUBERNETES_VERSION
(the versions inside k3s $K3S_VERSION; pinned in scripts/k8s-versions.env) into
OUT/$KUBERNETES_VERSION/bin. A second run with nothing changed only checks the stamp.

Options:
  --out DIR        Output root (default: \$NUCMESH_K8S_BINS or .cache/k8s/).
  --go-cache DIR   Go module and build caches (default: \$NUCMESH_GO_CACHE or
                   /var/cache/nucmesh/go); keep it across runs, CI included.
  --check          Exit 0 if the binaries are built and current, 1 if not; build nothing.
  --print-bin-dir  Print the bin directory and exit.
  -h, --help       Show this help.

Needs Go >= the go directive of k8s.io/kubernetes $KUBERNETES_VERSION (1.26 for v1.36):
\$NUCMESH_GO, else go on PATH, else /usr/local/go/bin/go; exits $EXIT_NO_GO saying so when
it is missing or too old.
Cold: ~ the figures in README.md "Real Kubernetes parts"; needs ~the disk given there.
EOF
}

say() { printf '== %s [%ss]\n' "$*" "$SECONDS"; }
die() { printf 'k8s-test-bins: error: %s\n' "$*" >&2; exit 1; }

while (($#)); do
  case $1 in
    --out) out_root=${2:?--out needs a directory}; shift 2 ;;
    --go-cache) go_cache=${2:?--go-cache needs a directory}; shift 2 ;;
    --check) check_only=1; shift ;;
    --print-bin-dir) printf '%s\n' "$out_root/$KUBERNETES_VERSION/bin"; exit 0 ;;
    -h | --help) usage; exit 0 ;;
    *) printf 'k8s-test-bins: unknown option %s\nSee scripts/k8s-test-bins.sh --help.\n' "$1" >&2; exit 2 ;;
  esac
done

out=$out_root/$KUBERNETES_VERSION
bin=$out/bin
stamp=$out/stamp
want_stamp="recipe=$RECIPE k3s=$K3S_VERSION kubernetes=$KUBERNETES_VERSION etcd=$ETCD_VERSION"

is_current() {
  [[ -f $stamp && $(cat "$stamp") == "$want_stamp" ]] || return 1
  local name
  for name in etcd etcdctl "${K8S_COMMANDS[@]}"; do [[ -x $bin/$name ]] || return 1; done
}

if is_current; then
  say "up to date: $bin ($want_stamp)"
  exit 0
fi
if ((check_only)); then
  printf 'k8s-test-bins: not built (or stale) in %s: run scripts/k8s-test-bins.sh\n' "$bin" >&2
  exit 1
fi

# $NUCMESH_GO names the go command (tests set it to a missing file to see the message below).
go=${NUCMESH_GO-$(command -v go || true)}
[[ -n $go || ! -x /usr/local/go/bin/go ]] || go=/usr/local/go/bin/go
if [[ -z $go || ! -x $go ]]; then
  printf 'k8s-test-bins: Go not found (%s). Install Go >= 1.26 from\n' "${go:-not on PATH nor /usr/local/go/bin/go}" >&2
  printf 'go.dev/dl into /usr/local/go (Debian trixie'"'"'s golang-go is too old), then rerun.\n' >&2
  exit $EXIT_NO_GO
fi

export GOMODCACHE=$go_cache/mod GOCACHE=$go_cache/build GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
export GOPATH=$go_cache/path
mkdir -p "$GOMODCACHE" "$GOCACHE" "$bin"
build_root=$out_root/build
timings=$out/build-times.txt
: >"$timings"

# Runs "$@" niced (the machine is shared), appending "LABEL wall=.. user=.. sys=.. maxrss_kb=.."
# to the timings file.
timed() {
  local label=$1
  shift
  /usr/bin/time -o "$timings.one" -f "wall=%es user=%Us sys=%Ss maxrss_kb=%M" nice -n 15 "$@"
  printf '%s %s\n' "$label" "$(cat "$timings.one")" | tee -a "$timings"
  rm -f "$timings.one"
}

# The go directive a module's go.mod asks for must not be above this Go's version.
check_go_version() {
  local mod_file=$1 need have
  need=$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$mod_file")
  have=$("$go" env GOVERSION | sed 's/^go//')
  if [[ $(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1) != "$need" ]]; then
    printf 'k8s-test-bins: %s needs Go >= %s, this is %s: install a newer Go.\n' "$mod_file" "$need" "$have" >&2
    exit $EXIT_NO_GO
  fi
}

mod_file_of() { "$go" mod download -json "$1" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p'; }

# A consumer module for k8s.io/kubernetes: its staging modules (k8s.io/api, client-go, ...) are
# required at v0.0.0 and replaced with ./staging/... in its own go.mod, which a consumer does not
# inherit, so the consumer replaces each with the published v0.X.Y of v1.X.Y. The list comes from
# that go.mod, so a new staging module needs no change here.
write_k8s_module() {
  local dir=$1 k8s_mod=$2 staging_version=v0${KUBERNETES_VERSION#v1}
  {
    printf 'module nucmesh.invalid/k8s-test-bins\n\ngo %s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' \
      "$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$k8s_mod")" "$KUBERNETES_VERSION"
    sed -n 's#^\t\(k8s.io/[^ ]*\) => \./staging/src/.*#\t\1 => \1 '"$staging_version"'#p' "$k8s_mod"
    printf ')\n'
  } >"$dir/go.mod"
  grep -q ' => ' "$dir/go.mod" || die "no staging replaces found in $k8s_mod"
}

# -X values as upstream's hack/lib/version.sh sets them, so the parts report v1.X.Y.
k8s_ldflags() {
  local major minor flags=(-s -w) pkg
  major=${KUBERNETES_VERSION#v}
  minor=${major#*.}
  minor=${minor%%.*}
  major=${major%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=("-X=$pkg.gitVersion=$KUBERNETES_VERSION" "-X=$pkg.gitMajor=$major" "-X=$pkg.gitMinor=$minor"
      "-X=$pkg.gitTreeState=clean" "-X=$pkg.buildDate=1970-01-01T00:00:00Z")
  done
  printf '%s ' "${flags[@]}"
}

say "building into $bin with $("$go" env GOVERSION), caches in $go_cache"
start=$SECONDS

k8s_dir=$build_root/kubernetes-$KUBERNETES_VERSION
rm -rf "$k8s_dir" && mkdir -p "$k8s_dir"
k8s_mod=$(mod_file_of "k8s.io/kubernetes@$KUBERNETES_VERSION")
[[ -f $k8s_mod ]] || die "the Go module proxy has no k8s.io/kubernetes@$KUBERNETES_VERSION"
check_go_version "$k8s_mod"
write_k8s_module "$k8s_dir" "$k8s_mod"
k8s_pkgs=()
for name in "${K8S_COMMANDS[@]}"; do k8s_pkgs+=("k8s.io/kubernetes/cmd/$name@$KUBERNETES_VERSION"); done
say "resolving k8s.io/kubernetes $KUBERNETES_VERSION"
(cd "$k8s_dir" && timed "download-kubernetes" "$go" get "${k8s_pkgs[@]}")

etcd_dir=$build_root/etcd-$ETCD_VERSION
rm -rf "$etcd_dir" && mkdir -p "$etcd_dir"
printf 'module nucmesh.invalid/etcd-test-bins\n\ngo 1.24\n' >"$etcd_dir/go.mod"
say "resolving go.etcd.io/etcd $ETCD_VERSION"
(cd "$etcd_dir" && timed "download-etcd" "$go" get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
  "go.etcd.io/etcd/etcdctl/v3@$ETCD_VERSION")
check_go_version "$etcd_dir/go.mod"

rm -f "$stamp"
ldflags=$(k8s_ldflags)
for name in "${K8S_COMMANDS[@]}"; do
  say "building $name"
  (cd "$k8s_dir" && timed "$name" "$go" build -trimpath -ldflags "$ldflags" -o "$bin/$name" "k8s.io/kubernetes/cmd/$name")
done
etcd_ldflags="-s -w -X=go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION"
say "building etcd"
(cd "$etcd_dir" && timed etcd "$go" build -trimpath -ldflags "$etcd_ldflags" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
say "building etcdctl"
(cd "$etcd_dir" && timed etcdctl "$go" build -trimpath -ldflags "$etcd_ldflags" -o "$bin/etcdctl" \
  go.etcd.io/etcd/etcdctl/v3)

printf 'total wall=%ss\n' "$((SECONDS - start))" | tee -a "$timings"
printf '%s\n' "$want_stamp" >"$stamp"
say "done: $bin"
