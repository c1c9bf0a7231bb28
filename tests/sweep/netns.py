"""Run a command in a network namespace whose only interface is loopback.

    python3 netns.py new COMMAND...        a new namespace: only `lo`, brought up
    python3 netns.py join PID COMMAND...   the namespace of process PID

Either way the command is exec'd (same process id) after checking that `lo` is the only interface
it can see, so nothing it does can reach another machine: the machine's other addresses do not
exist in there. Linux, as root (CAP_SYS_ADMIN): unshare(2) and setns(2) through libc and `lo`
brought up with the SIOCSIFFLAGS ioctl, so neither util-linux's `unshare` nor iproute2's `ip`
need be installed. Exit status 125, with the reason on stderr, when the namespace cannot be made
or entered.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
IFREQ = "16sh22x"          # struct ifreq: the interface's name, then ifr_flags (40 bytes)
CANNOT = 125


def loopback_only() -> None:
    """Bring `lo` up in the current namespace and check it is the only interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack(IFREQ, b"lo", 0)
        _, flags = struct.unpack(IFREQ, fcntl.ioctl(sock, SIOCGIFFLAGS, request))
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack(IFREQ, b"lo", flags | IFF_UP))
    names = [name for _, name in socket.if_nameindex()]
    if names != ["lo"]:
        raise OSError(f"interfaces other than lo in the namespace: {names}")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("new", "join") or (argv[0] == "join" and len(argv) < 3):
        print(__doc__, file=sys.stderr)
        return 2
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        if argv[0] == "new":
            command = argv[1:]
            if libc.unshare(CLONE_NEWNET) != 0:
                raise OSError(f"unshare(CLONE_NEWNET): {os.strerror(ctypes.get_errno())}")
        else:
            command = argv[2:]
            descriptor = os.open(f"/proc/{int(argv[1])}/ns/net", os.O_RDONLY)
            if libc.setns(descriptor, CLONE_NEWNET) != 0:
                raise OSError(f"setns(the network namespace of process {argv[1]}): "
                              f"{os.strerror(ctypes.get_errno())}")
            os.close(descriptor)
        loopback_only()
    except (OSError, AttributeError) as error:
        print(f"netns.py: cannot make a loopback-only network namespace: {error}",
              file=sys.stderr)
        return CANNOT
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
