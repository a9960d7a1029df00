/**
 * The text of the guest's /init and its agent. Both are inputs of the image hash: changing a
 * character here rebuilds the image.
 *
 * Agent protocol (one line each way, over the serial port named by `plumbline.agent=` on the
 * kernel command line, ttyS1 by default, set raw with echo off):
 *   host -> guest   "\n<id> <base64 of a sh command>\n"
 *   guest -> host   "\n@@R <id> <exit code> <base64 of stdout+stderr>\n"
 * The guest runs one command at a time. Ids are [A-Za-z0-9_-]+; anything else is ignored, so
 * bytes that arrived before the agent started (or a torn line) cannot derail it. A command that
 * is not valid base64 answers exit code 254. The agent prints "@@READY" once when it starts.
 */

export const AGENT_READY_LINE = '@@READY';
export const AGENT_ANSWER_PREFIX = '@@R ';
export const AGENT_BAD_COMMAND_EXIT = 254;

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko 2>/dev/null; done
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  ip route add default via 10.0.2.2
fi
exec /bin/agent
`;

export const AGENT_SCRIPT = `#!/bin/sh
T=ttyS1
for word in $(cat /proc/cmdline); do
  case "$word" in plumbline.agent=*) T="\${word#plumbline.agent=}";; esac
done
T=/dev/$T
stty -F $T raw -echo
printf '\\n${AGENT_READY_LINE}\\n' > $T
while IFS=' ' read -r id b64 <&3; do
  case "$id" in ''|*[!A-Za-z0-9_-]*) continue;; esac
  cmd=$(printf '%s' "$b64" | base64 -d 2>/dev/null) || {
    printf '\\n@@R %s ${AGENT_BAD_COMMAND_EXIT} \\n' "$id" >&3
    continue
  }
  sh -c "$cmd" > /tmp/.agent-out 2>&1 </dev/null
  rc=$?
  printf '\\n@@R %s %s %s\\n' "$id" "$rc" "$(base64 -w 0 /tmp/.agent-out)" >&3
done 3<>$T
`;

/** Modules the default image loads (with their dependencies, resolved from the .ko files). */
export const DEFAULT_MODULES: readonly string[] = ['virtio_pci', 'virtio_blk', 'virtio_net'];
