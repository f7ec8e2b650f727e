#!/bin/sh
# Builds the Debian package of dieuhanh from a built binary and debian/:
#   scripts/make-deb.sh BINARY OUT.deb
# (`make deb` builds BINARY with dpkg-buildflags' hardening flags in
# build/deb/ and calls this). The steps are those of a debhelper build done
# by hand: lay out the tree, strip the binary, compress the manual page and
# the changelog, let dpkg-shlibdeps find the real library dependencies and
# dpkg-gencontrol write DEBIAN/control from debian/control and
# debian/changelog, then dpkg-deb with every file owned by root.
# The package is native (its version is src/version.h's, with no Debian
# revision), so its changelog is installed as changelog.gz, as Debian policy
# 12.7 asks of native packages (lintian: wrong-name-for-changelog-of-native-package).
set -eu
cd "$(dirname "$0")/.."
bin=$1
out=$2
work=$(dirname "$out")/deb-tree
root=$work/root
version=$(sed -n 's/^#define DH_VERSION "\(.*\)"$/\1/p' src/version.h)
changelog_version=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [ "$version" != "$changelog_version" ]; then
  echo "make-deb: src/version.h says $version but debian/changelog's last entry is" \
       "$changelog_version; add a changelog entry (dch -v $version)" >&2
  exit 1
fi
if ! grep -q "^\.TH DIEUHANH 1 .* \"dieuhanh $version\"" debian/dieuhanh.1; then
  echo "make-deb: debian/dieuhanh.1's .TH line does not name dieuhanh $version;" \
       "update it (and the page) with the release" >&2
  exit 1
fi

rm -rf "$work"
mkdir -p "$root/DEBIAN"
# Files from the build and from debian/, with Debian's usual modes.
install -D -m 755 "$bin" "$root/usr/bin/dieuhanh"
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
  "$root/usr/bin/dieuhanh"
install -D -m 644 debian/dieuhanh.conf "$root/etc/dieuhanh/dieuhanh.conf"
install -D -m 644 debian/dieuhanh.service "$root/lib/systemd/system/dieuhanh.service"
install -d -m 755 "$root/usr/share/man/man1" "$root/usr/share/doc/dieuhanh"
gzip -9n < debian/dieuhanh.1 > "$root/usr/share/man/man1/dieuhanh.1.gz"
gzip -9n < debian/changelog > "$root/usr/share/doc/dieuhanh/changelog.gz"
install -m 644 debian/copyright "$root/usr/share/doc/dieuhanh/copyright"
chmod 644 "$root/usr/share/man/man1/dieuhanh.1.gz" \
  "$root/usr/share/doc/dieuhanh/changelog.gz"
for s in postinst prerm postrm; do
  install -m 755 "debian/$s" "$root/DEBIAN/$s"
done
install -m 644 debian/conffiles "$root/DEBIAN/conffiles"

# The control file: Depends from the libraries the binary links.
dpkg-shlibdeps -T"$work/substvars" "$root/usr/bin/dieuhanh"
dpkg-gencontrol -pdieuhanh -cdebian/control -ldebian/changelog -T"$work/substvars" \
  -f"$work/files" -P"$root"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | LC_ALL=C sort |
  xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
