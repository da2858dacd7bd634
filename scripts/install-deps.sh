#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install every Debian package edgeward needs to build, test, demo and bench.
# Idempotent and quick when everything is present: apt runs only for what is missing.
set -eu

PKGS="make gcc clang llvm pkg-config libc6-dev linux-libc-dev
libbpf-dev bpftool libelf-dev zlib1g-dev
libyaml-dev libjansson-dev libcmocka-dev
iproute2 ethtool iputils-ping netcat-openbsd procps util-linux kmod
xdp-tools ipset iptables nftables hping3 socat python3
libssl-dev openssl libjwt-dev libevent-dev libargon2-dev libhttp-parser-dev
libpq-dev libcurl4-openssl-dev curl ca-certificates
oathtool sslscan python3-jwt libclang-rt-14-dev
postgresql-15 postgresql-contrib postgresql-15-pgtap
openssh-server openssh-client sshpass"

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "install-deps: all $(echo $PKGS | wc -w) packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing; run as root (sudo $0)" >&2
	exit 1
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
