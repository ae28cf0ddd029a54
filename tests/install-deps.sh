#!/bin/sh
# install-deps.sh PKG... - make sure the Debian packages ttsync builds and
# tests with are present. As root, installs the missing ones with apt-get;
# otherwise names them and fails.
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends $missing >/dev/null ||
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing >/dev/null; } ||
		{ echo "apt-get could not install:$missing" >&2; exit 1; }
else
	echo "missing Debian packages:$missing" >&2
	echo "run as root: apt-get install$missing" >&2
	exit 1
fi
