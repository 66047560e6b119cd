#!/usr/bin/env bash
# Builds the nucmesh disk image: a raw GPT disk (EFI system partition + ext4 root) that
# boots on UEFI NUCs. Debian trixie from Debian's packages (mmdebstrap), no loop devices,
# no mounts. Run `scripts/build-image.sh --help`.
set -euo pipefail
umask 022

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
invocation="$0 $*"
image_dir=$repo/image

# The pinned k3s release (downloaded and checked against the release's sha256 sums), pinned with
# the upstream Kubernetes and etcd inside it that the tests build (scripts/k8s-test-bins.sh).
# shellcheck source=k8s-versions.env
source "$repo/scripts/k8s-versions.env"
K3S_VERSION_DEFAULT=$K3S_VERSION
K3S_FILES=(k3s k3s-airgap-images-amd64.tar.zst)
K3S_SUMS=sha256sum-amd64.txt
SUITE=trixie
# Bump when the way the Debian layer is made changes (part of its cache key).
BASE_RECIPE=1

usage() {
  cat <<EOF
Usage: sudo scripts/build-image.sh [options]

Builds the nucmesh disk image from Debian ($SUITE) packages: a raw GPT disk with an
EFI system partition and an ext4 root that boots on UEFI NUCs, ready for dd or any
flasher. Needs root on Debian (it installs the host packages it lacks), ~6 GiB free.

Options:
  --out DIR          Output directory (default: out/). Gets nucmesh-VERSION.img,
                     nucmesh-VERSION.img.zst, SHA256SUMS and, for direct-kernel boot
                     tests, nucmesh-VERSION.vmlinuz, .initrd and .cmdline.
  --fleet FILE       Fleet config (from 'nucmesh fleet init FILE') to put on the EFI
                     partition as nucmesh/fleet.yaml (editable after flashing from any
                     laptop). Without it, OUT/fleet.yaml is used, and created as a new
                     fleet if it does not exist yet (the build says which).
  --k3s-version V    Download this k3s release (default: $K3S_VERSION_DEFAULT) with its
                     airgap images and check them against the release's sha256 sums.
  --k3s-dir DIR      Take the k3s files from DIR instead (offline builders): DIR must hold
                     ${K3S_FILES[*]} and $K3S_SUMS.
  --without-k3s      Build an image without k3s (for tests, or where k3s cannot be
                     downloaded).
  --secure-boot      Boot through Microsoft-signed shim and Debian-signed GRUB instead of
                     systemd-boot, for NUCs with Secure Boot on.
  --size SIZE        Size of the image file, e.g. 4G (default: as small as fits; the root
                     partition grows to fill the real disk at first boot anyway).
  --cache DIR        Cache of the Debian layer and npm packages (default: .cache/image/).
                     A rebuild with only nucmesh changed reuses the Debian layer.
  --mirror URL       Debian mirror (default: \$NUCMESH_DEBIAN_MIRROR or
                     http://deb.debian.org/debian).
  -h, --help         Show this help.

k3s goes to /usr/local/bin/k3s, its images to /var/lib/rancher/k3s/agent/images/, and its
systemd units are shipped but not enabled (nucmesh starts the right one).
EOF
}

say() { printf '== %s [%ss]\n' "$*" "$SECONDS"; }
die() { printf 'build-image: error: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'build-image: %s\nSee scripts/build-image.sh --help.\n' "$*" >&2; exit 2; }

out=$repo/out
fleet=""
k3s_mode=download
k3s_version=$K3S_VERSION_DEFAULT
k3s_dir=""
secure_boot=0
size=""
cache=$repo/.cache/image
mirror=${NUCMESH_DEBIAN_MIRROR:-http://deb.debian.org/debian}

need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || usage_error "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --out) need_arg "$@"; out=$2; shift 2 ;;
    --fleet) need_arg "$@"; fleet=$2; shift 2 ;;
    --k3s-version) need_arg "$@"; k3s_mode=download; k3s_version=$2; shift 2 ;;
    --k3s-dir) need_arg "$@"; k3s_mode=dir; k3s_dir=$2; shift 2 ;;
    --without-k3s) k3s_mode=none; shift ;;
    --secure-boot) secure_boot=1; shift ;;
    --size) need_arg "$@"; size=$2; shift 2 ;;
    --cache) need_arg "$@"; cache=$2; shift 2 ;;
    --mirror) need_arg "$@"; mirror=$2; shift 2 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done

# ---------------------------------------------------------------- checks, early
size_bytes=""
if [ -n "$size" ]; then
  size_bytes=$(numfmt --from=iec "$size" 2>/dev/null) || usage_error "--size: '$size' is not a size such as 2G or 4096M"
fi
if [ -n "$fleet" ] && [ ! -r "$fleet" ]; then usage_error "--fleet: cannot read '$fleet'"; fi
if [ "$k3s_mode" = dir ] && [ ! -d "$k3s_dir" ]; then usage_error "--k3s-dir: '$k3s_dir' is not a directory"; fi
[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap --mode=root, file ownership in the root file system): sudo $invocation"
[ -r /etc/debian_version ] || die "needs a Debian host (mmdebstrap, apt); this is not Debian"
out=$(mkdir -p "$out" && cd "$out" && pwd)
mkdir -p "$cache"; cache=$(cd "$cache" && pwd)

bash "$repo/scripts/install-host-deps.sh" image
for tool in mmdebstrap mkfs.vfat mcopy mmd mkfs.ext4 sfdisk zstd sha256sum numfmt curl node npm; do
  command -v "$tool" >/dev/null || die "'$tool' is missing; install it (scripts/install-host-deps.sh image installs the Debian packages; Node.js >= 20 and npm build nucmesh)"
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "the host's Node.js is $(node --version); nucmesh needs >= 20 to build"

free_kib() { df --output=avail -k "$1" | tail -1; }
for d in "$out" "$cache"; do
  [ "$(free_kib "$d")" -ge $((6 * 1024 * 1024)) ] || die "less than 6 GiB free in $d ($(($(free_kib "$d") / 1024)) MiB); free some space or pass --out/--cache elsewhere"
done

version=$(node -p "require('$repo/package.json').version")
name=nucmesh-$version
work=$cache/work-$$
rm -rf "$work"; mkdir -p "$work"
# The scratch copy of the root file system is large: never leave it behind.
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- k3s (fails early when unreachable)
k3s_src=""
verify_k3s() { # DIR: the files are there and match the sums file
  local dir=$1 f line
  for f in "${K3S_FILES[@]}" "$K3S_SUMS"; do
    [ -s "$dir/$f" ] || die "k3s: $dir/$f is missing (need ${K3S_FILES[*]} and $K3S_SUMS)"
  done
  for f in "${K3S_FILES[@]}"; do
    line=$(awk -v f="$f" '$2 == f || $2 == "*"f { print $1; exit }' "$dir/$K3S_SUMS")
    [ -n "$line" ] || die "k3s: $K3S_SUMS in $dir has no sum for $f"
    [ "$(sha256sum "$dir/$f" | cut -d' ' -f1)" = "$line" ] || die "k3s: $dir/$f does not match its sha256 in $K3S_SUMS (corrupt or wrong release)"
  done
}
case "$k3s_mode" in
  none) say "k3s: not included (--without-k3s)" ;;
  dir) verify_k3s "$k3s_dir"; k3s_src=$k3s_dir; say "k3s: from $k3s_dir (sha256 verified)" ;;
  download)
    base_url="https://github.com/k3s-io/k3s/releases/download/${k3s_version//+/%2B}"
    k3s_src=$cache/k3s-$k3s_version
    if ! ( [ -d "$k3s_src" ] && verify_k3s "$k3s_src" ) 2>/dev/null; then
      curl -fsS -o /dev/null --max-time 20 -I -L "$base_url/$K3S_SUMS" \
        || die "k3s $k3s_version cannot be downloaded from $base_url (no network access to GitHub?). Use --k3s-dir DIR with ${K3S_FILES[*]} and $K3S_SUMS from that release, or --without-k3s"
      mkdir -p "$k3s_src.part"
      for f in "$K3S_SUMS" "${K3S_FILES[@]}"; do
        say "k3s: downloading $f"
        curl -fL --retry 3 -o "$k3s_src.part/$f" "$base_url/$f" || die "k3s: downloading $base_url/$f failed"
      done
      verify_k3s "$k3s_src.part"
      rm -rf "$k3s_src"; mv "$k3s_src.part" "$k3s_src"
    fi
    say "k3s: $k3s_version (sha256 verified)" ;;
esac

# ---------------------------------------------------------------- fleet config
nucmesh_cli() { node "$repo/dist/src/cli/bin.js" "$@"; }
say "building nucmesh $version"
( cd "$repo" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npx tsc -p tsconfig.json ) || die "building nucmesh (npx tsc) failed"
if [ -z "$fleet" ]; then
  fleet=$out/fleet.yaml
  if [ -e "$fleet" ]; then
    say "fleet: no --fleet given; using $fleet made by an earlier build"
  else
    nucmesh_cli fleet init "$fleet" >/dev/null
    say "fleet: no --fleet given; created a NEW fleet config $fleet (keep it: every node of this fleet needs the same file)"
  fi
fi
nucmesh_cli fleet check "$fleet" >/dev/null || die "--fleet: $fleet is not a valid fleet config (run: nucmesh fleet check $fleet)"

# ---------------------------------------------------------------- nucmesh app (built JS + production deps)
app=$work/app/opt/nucmesh
mkdir -p "$app/dist"
cp "$repo/package.json" "$repo/package-lock.json" "$app/"
cp -a "$repo/dist/src" "$app/dist/src"
find "$app/dist" -name '*.map' -delete
deps_key=$(cat "$repo/package.json" "$repo/package-lock.json" | sha256sum | cut -c1-16)
deps=$cache/node_modules-$deps_key
if [ ! -d "$deps" ]; then
  say "npm: production dependencies"
  rm -rf "$deps.part"; mkdir -p "$deps.part"
  cp "$repo/package.json" "$repo/package-lock.json" "$deps.part/"
  ( cd "$deps.part" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null ) || die "npm ci --omit=dev failed (is the npm registry reachable?)"
  mv "$deps.part" "$deps"
fi
cp -a "$deps/node_modules" "$app/node_modules"

# ---------------------------------------------------------------- Debian layer (cached by its inputs)
pkg_files=("$image_dir/packages.txt")
[ "$secure_boot" -eq 1 ] && pkg_files+=("$image_dir/packages-secure-boot.txt")
packages=$(sed -e 's/#.*//' "${pkg_files[@]}" | tr -s ' \t\n' '\n' | sed '/^$/d' | sort -u | paste -sd, -)
base_key=$( {
  echo "recipe=$BASE_RECIPE suite=$SUITE mirror=$mirror packages=$packages"
  ( cd "$image_dir/base" && find . -type f -print0 | sort -z | xargs -0 sha256sum )
} | sha256sum | cut -c1-16)
base=$cache/base-$base_key
if [ -f "$base.done" ] && [ -d "$base" ]; then
  say "Debian layer: cached ($base)"
else
  say "Debian layer: mmdebstrap $SUITE (takes a minute or two)"
  rm -rf "$base" "$base.done"
  mmdebstrap --mode=root --variant=minbase --quiet \
    --aptopt='APT::Install-Recommends "false"' --aptopt='Acquire::Retries "5"' \
    --dpkgopt="$image_dir/base/etc/dpkg/dpkg.cfg.d/nucmesh-nodoc" \
    --include="$packages" \
    --setup-hook="cp -a '$image_dir/base/.' \"\$1/\"" \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
    "$SUITE" "$base" "$mirror" \
    || die "mmdebstrap failed (is $mirror reachable? see the lines above)"
  touch "$base.done"
  # Keep the two newest Debian layers (e.g. with and without --secure-boot), drop older ones.
  ls -t "$cache"/base-*.done 2>/dev/null | tail -n +3 | while read -r done_file; do
    rm -rf "${done_file%.done}" "$done_file"
  done
fi

# ---------------------------------------------------------------- the root file system
say "root file system: Debian layer + image/overlay + nucmesh"
root=$work/rootfs
cp -a "$base" "$root"
cp -a "$image_dir/overlay/." "$root/"
cp -a "$work/app/opt/nucmesh" "$root/opt/nucmesh"
chown -R root:root "$root/opt/nucmesh" "$root/etc/systemd" "$root/etc/nucmesh" "$root/usr/local/bin"
mkdir -p "$root/boot/efi" "$root/var/lib/nucmesh"
chmod 700 "$root/var/lib/nucmesh"

if [ -n "$k3s_src" ]; then
  install -m 0755 "$k3s_src/k3s" "$root/usr/local/bin/k3s"
  install -d "$root/var/lib/rancher/k3s/agent/images"
  install -m 0644 "$k3s_src/k3s-airgap-images-amd64.tar.zst" "$root/var/lib/rancher/k3s/agent/images/"
  cp -a "$image_dir/k3s/." "$root/"
  k3s_label=$k3s_version; [ "$k3s_mode" = dir ] && k3s_label="from --k3s-dir"
else
  k3s_label=none
fi

systemctl --root="$root" enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
  systemd-networkd-wait-online.service nucmesh.service >/dev/null 2>&1 || die "systemctl --root enable failed"
# Nobody logs in at the console (root is locked): keep the screen for the banner.
systemctl --root="$root" mask getty@tty1.service serial-getty@ttyS0.service >/dev/null 2>&1

# SSH only with authorized keys from the fleet config; no password login anywhere.
sed -i -E 's/^root:[^:]*:/root:!*:/' "$root/etc/shadow"
rm -f "$root"/etc/ssh/ssh_host_*
keys=$(node --input-type=module -e "
  import { loadFleetConfig } from '$repo/dist/src/config/fleet.js';
  const { config } = await loadFleetConfig(process.argv[1]);
  process.stdout.write((config.ssh?.authorizedKeys ?? []).join('\n'));" "$fleet")
if [ -n "$keys" ]; then
  install -d -m 0700 "$root/root/.ssh"
  printf '%s\n' "$keys" > "$root/root/.ssh/authorized_keys"; chmod 600 "$root/root/.ssh/authorized_keys"
  systemctl --root="$root" enable ssh.service >/dev/null 2>&1
  ssh_state="enabled ($(printf '%s\n' "$keys" | wc -l) authorized keys)"
else
  systemctl --root="$root" disable ssh.service ssh.socket >/dev/null 2>&1 || true
  systemctl --root="$root" mask ssh.service ssh.socket >/dev/null 2>&1
  ssh_state="off (the fleet config lists no ssh.authorizedKeys)"
fi

# systemd treats the first boot as such only with "uninitialized" here.
printf 'uninitialized\n' > "$root/etc/machine-id"
cat > "$root/etc/nucmesh/image-release" <<EOF
NUCMESH_VERSION=$version
DEBIAN_SUITE=$SUITE
K3S=$k3s_label
SECURE_BOOT=$secure_boot
BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF

kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)
initrd=$(ls "$root"/boot/initrd.img-* | sort -V | tail -1)
[ -f "$kernel" ] && [ -f "$initrd" ] || die "no kernel/initrd in the root file system (linux-image-amd64, initramfs-tools in image/packages.txt?)"

# ---------------------------------------------------------------- partitions, no loop devices, no mounts
root_partuuid=$(cat /proc/sys/kernel/random/uuid)
esp_partuuid=$(cat /proc/sys/kernel/random/uuid)
# nucmesh.esp names the EFI partition of this disk for the agent and nucmesh-esp-generator,
# where no boot loader reports it (GRUB without bli, direct-kernel boots).
cmdline="root=PARTUUID=$root_partuuid nucmesh.esp=PARTUUID=$esp_partuuid $(sed -e 's/#.*//' "$image_dir/cmdline.txt" | tr -s ' \n' ' ' | sed 's/ *$//')"
fill() { sed -e "s|@VERSION@|$version|g" -e "s|@CMDLINE@|$cmdline|g" "$1"; }

say "EFI system partition"
esp=$work/esp.img
esp_mib=256
mkfs.vfat -F 32 -n NUCMESH-ESP -C "$esp" $((esp_mib * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/nucmesh
mcopy -i "$esp" "$kernel" ::/vmlinuz
mcopy -i "$esp" "$initrd" ::/initrd.img
mcopy -i "$esp" "$fleet" ::/nucmesh/fleet.yaml
if [ "$secure_boot" -eq 1 ]; then
  shim=$root/usr/lib/shim/shimx64.efi.signed
  grub=$root/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
  [ -f "$shim" ] && [ -f "$grub" ] || die "secure boot: shim/grub binaries not found in the root file system"
  mmd -i "$esp" ::/EFI/debian
  mcopy -i "$esp" "$shim" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$esp" "$grub" ::/EFI/BOOT/grubx64.efi
  [ -f "$root/usr/lib/shim/mmx64.efi.signed" ] && mcopy -i "$esp" "$root/usr/lib/shim/mmx64.efi.signed" ::/EFI/BOOT/mmx64.efi
  fill "$image_dir/esp/EFI/debian/grub.cfg.in" > "$work/grub.cfg"
  mcopy -i "$esp" "$work/grub.cfg" ::/EFI/debian/grub.cfg
  mcopy -i "$esp" "$work/grub.cfg" ::/EFI/BOOT/grub.cfg
  boot_label="shim + signed GRUB (Secure Boot)"
else
  mmd -i "$esp" ::/loader ::/loader/entries
  mcopy -i "$esp" "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$esp" "$image_dir/esp/loader/loader.conf" ::/loader/loader.conf
  fill "$image_dir/esp/loader/entries/nucmesh.conf.in" > "$work/nucmesh.conf"
  mcopy -i "$esp" "$work/nucmesh.conf" ::/loader/entries/nucmesh.conf
  boot_label="systemd-boot"
fi

say "root partition (mkfs.ext4 -d)"
used_mib=$(( $(du -sx --block-size=1M "$root" | cut -f1) ))
root_mib=$(( used_mib + used_mib / 4 + 256 ))
rootimg=$work/root.img
rm -f "$rootimg"
# metadata_csum_seed: the installer gives each installed copy a new UUID (tune2fs -U) without
# rewriting every checksum.
mkfs.ext4 -q -L nucmesh-root -O metadata_csum_seed -d "$root" -E root_owner=0:0 "$rootimg" "${root_mib}M" || die "mkfs.ext4 -d failed"
# Summary counts as e2fsck computes them: the initramfs' e2fsck -a of a clean file system then
# finds nothing to write (it rewrote the superblock otherwise: a stick must never change).
e2fsck -fy "$rootimg" >/dev/null 2>&1 || [ $? -le 1 ] || die "e2fsck of the new root file system failed"

# GPT: 1 MiB gap, ESP, root, 1 MiB for the backup table.
min_bytes=$(( (1 + esp_mib + root_mib + 1) * 1024 * 1024 ))
img_bytes=$min_bytes
if [ -n "$size_bytes" ]; then
  [ "$size_bytes" -ge "$min_bytes" ] || die "--size $size is too small: the image needs at least $((min_bytes / 1024 / 1024)) MiB"
  img_bytes=$(( size_bytes / 1048576 * 1048576 ))
fi
say "disk image $name.img ($((img_bytes / 1024 / 1024)) MiB, $boot_label)"
img=$out/$name.img
rm -f "$img" "$img.zst"
truncate -s "$img_bytes" "$img"
sfdisk --quiet "$img" <<EOF
label: gpt
start=1MiB, size=${esp_mib}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$esp_partuuid, name=nucmesh-esp
start=$((1 + esp_mib))MiB, size=${root_mib}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$root_partuuid, name=nucmesh-root
EOF
dd if="$esp" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$rootimg" of="$img" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none

cp "$kernel" "$out/$name.vmlinuz"
cp "$initrd" "$out/$name.initrd"
printf '%s\n' "$cmdline" > "$out/$name.cmdline"

say "compressing (zstd)"
zstd -q -T0 -6 "$img" -o "$img.zst"
( cd "$out" && sha256sum "$name.img" "$name.img.zst" "$name.vmlinuz" "$name.initrd" "$name.cmdline" > SHA256SUMS )
rm -rf "$work"

say "done in ${SECONDS}s"
cat <<EOF
image:       $img ($(du -h --apparent-size "$img" | cut -f1) raw, $(du -h "$img.zst" | cut -f1) zstd)
boot:        $boot_label; k3s: $k3s_label; ssh: $ssh_state
fleet:       $fleet -> EFI partition nucmesh/fleet.yaml
write it:    zstd -dc $img.zst | dd of=/dev/sdX bs=4M conv=fsync status=progress
EOF
