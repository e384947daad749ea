# Runs SSSD's NSS responder against DC01 and asks it through glibc, all inside the caller's private mount namespace
# (unshare --mount): SSSD's folders, its configuration and /etc/nsswitch.conf are covered by tmpfs and bind mounts that
# vanish with the namespace, so nothing is left on the machine.
# Usage: sh sssd-nss.sh FOLDER USER GROUP   (FOLDER holds sssd.conf and nsswitch.conf; sssd.log is written there)
set -eu
folder=$1
user=$2
group=$3
mount --make-rprivate /
mount -t tmpfs -o size=16m,mode=0755 tmpfs /var/lib/sss
mkdir -p /var/lib/sss/db /var/lib/sss/pipes/private /var/lib/sss/mc /var/lib/sss/pubconf /var/lib/sss/gpo_cache
chmod 700 /var/lib/sss/db /var/lib/sss/pipes/private
mount -t tmpfs -o size=16m,mode=0750 tmpfs /var/log/sssd
mount -t tmpfs -o size=1m,mode=0711 tmpfs /etc/sssd
mkdir -m 0711 /etc/sssd/conf.d
install -m 600 "$folder/sssd.conf" /etc/sssd/sssd.conf
mount --bind "$folder/nsswitch.conf" /etc/nsswitch.conf
# sssd writes its pid file in /run
mount -t tmpfs -o size=1m,mode=0755 tmpfs /run
/usr/sbin/sssd -i --logger=stderr -d 6 2> "$folder/sssd.log" &
sssd=$!
for _ in $(seq 1 100); do
    [ -S /var/lib/sss/pipes/nss ] && break
    sleep 0.1
done
set +e
timeout 8 getent passwd "$user"
echo "getent passwd exit $?"
timeout 8 getent group "$group"
echo "getent group exit $?"
kill "$sssd"
wait "$sssd"
exit 0
