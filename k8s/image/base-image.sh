#!/usr/bin/env bash
# The container image's base, made on this machine without a registry or a Docker daemon (none is reachable here:
# README, "Container image"): a JRE jlink'd from the local JDK 17, the shared libraries it links against taken from
# this machine's Debian, a user 185, written as a `docker save` tar that Jib reads as its base (tar://).
#   k8s/image/base-image.sh [OUT]        default OUT: target/base-image/jre17-base.tar
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/base-image/jre17-base.tar}
java_home=${BASE_IMAGE_JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
if [ ! -d "$java_home/jmods" ]; then
  echo "no jmods in $java_home: apt-get install openjdk-17-jmods (jlink needs them)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"

# The modules the service uses (Quarkus, Netty, Lettuce, Jackson, Bouncy Castle, Micrometer), plus the JVM's
# management and crypto providers; java.desktop for java.beans, which Jackson and SmallRye consult.
modules=java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http
modules=$modules,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.transaction.xa,java.xml
modules=$modules,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.charsets,jdk.jfr,jdk.management,jdk.management.jfr
modules=$modules,jdk.naming.dns,jdk.net,jdk.unsupported,jdk.zipfs
"$java_home/bin/jlink" --module-path "$java_home/jmods" --add-modules "$modules" --output "$root/opt/java" \
  --strip-debug --no-man-pages --no-header-files --compress=2

# Every system library the JRE's binaries need (ldd resolves them transitively), copied to the same path, plus
# libgcc_s, which glibc opens at run time for thread cancellation. The JRE's own libraries are found through its
# RPATH ($ORIGIN, which the loader reads from /proc, there in any container). The natives of java.desktop that draw
# (X11, fonts, images, sound) are never loaded by a headless service: their libraries stay out.
libraries() {
  find "$root/opt/java" -type f \( -name '*.so' -o -perm -u+x \) \
      ! -regex '.*/lib\(awt_xawt\|splashscreen\|jawt\|fontmanager\|lcms\|javajpeg\|mlib_image\|jsound\)\.so' -print0 |
    xargs -0 -n 20 ldd 2>/dev/null | awk '/=> \// {print $3} /^\s*\/lib/ {print $1}' | grep -v "^$root" | sort -u
}
for lib in $(libraries) /lib64/ld-linux-x86-64.so.2 "$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ {print $NF; exit}')"; do
  [ -n "$lib" ] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
mkdir -p "$root/etc" "$root/tmp" "$root/home/jboss"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\njboss:x:185:185:jboss:/home/jboss:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\njboss:x:185:\n' > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"

# One layer, reproducible: sorted, owned by root, dated at the epoch.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
cat > "$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/opt/java/bin:/usr/bin:/bin","JAVA_HOME=/opt/java","LANG=C.UTF-8"],"User":"185","WorkingDir":"/home/jboss"},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"k8s/image/base-image.sh"}]}
JSON
printf '[{"Config":"config.json","RepoTags":["audiencematch/jre17-base:local"],"Layers":["layer.tar"]}]\n' > "$work/manifest.json"
mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out" manifest.json config.json layer.tar
echo "$out: $(du -h "$out" | cut -f1) ($(du -sh "$root" | cut -f1) unpacked)"
