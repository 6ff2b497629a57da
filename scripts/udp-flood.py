#!/usr/bin/env python3
"""A bounded UDP flood for measuring the server's memory: one datagram from each of N source
addresses (loopback addresses 127.0.x.y with fresh ports), then the server's resident memory
right after and WAIT seconds later.

    scripts/udp-flood.py --pid PID --target 127.0.0.1:5888 [--sources 10000] [--wait 30]

Run it against a server you started yourself on loopback (e.g. `--bind 127.0.0.1`)."""
import argparse
import socket
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--sources", type=int, default=10000)
    p.add_argument("--wait", type=float, default=30.0)
    p.add_argument("--rate", type=float, default=2000.0,
                   help="sources per second (loopback drops what the socket buffer cannot hold)")
    a = p.parse_args()
    host, port = a.target.rsplit(":", 1)
    target = (host, int(port))
    before = rss_kib(a.pid)
    t = time.time()
    for i in range(a.sources):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # 250 sources per loopback address: the server's per-address limit sees many addresses.
        s.bind((f"127.0.{2 + i // 250 // 250}.{1 + (i // 250) % 250}", 0))
        s.sendto(b"\x00" * 64, target)
        s.close()
        ahead = t + (i + 1) / a.rate - time.time()
        if ahead > 0:
            time.sleep(ahead)
    sent = time.time() - t
    time.sleep(1.0)
    after = rss_kib(a.pid)
    time.sleep(a.wait)
    later = rss_kib(a.pid)
    print(f"{a.sources} one-packet sources in {sent:.1f} s")
    print(f"server RSS: before {before / 1024:.1f} MiB, 1 s after {after / 1024:.1f} MiB, "
          f"{a.wait:.0f} s later {later / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
