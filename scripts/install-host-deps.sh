#!/usr/bin/env bash
# Installs the Debian host packages a job needs, only those missing.
#   scripts/install-host-deps.sh test    everything the test suite uses
#   scripts/install-host-deps.sh image   what scripts/build-image.sh uses
set -euo pipefail
profile=${1:-test}

image_pkgs=(mmdebstrap mtools dosfstools e2fsprogs fdisk zstd systemd-boot-efi coreutils curl)
test_pkgs=(iproute2 nftables avahi-daemon avahi-utils dbus dmidecode pciutils util-linux lm-sensors hwinfo
           qemu-system-x86 qemu-utils ovmf chromium "${image_pkgs[@]}")

case "$profile" in
  test) want=("${test_pkgs[@]}") ;;
  image) want=("${image_pkgs[@]}") ;;
  *) echo "usage: $0 test|image" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run this as root (or: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
