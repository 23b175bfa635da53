#!/usr/bin/env python3
"""What a process holds, from /proc (Linux): open fds, RSS, and its TCP sockets by role.

Usage: procstat.py PID [--proxy-port P] [--origin-port O]    (prints one JSON line)

Used by conns.py, faults.py, load.sh and soak.py (which passes two origin ports).  Sockets are split into: listening, client
(local port = the proxy's port), upstream (remote port = the origin's port), other.
"""
import argparse
import json
import os


def _tcp_table(pid):
    """inode -> (local_port, remote_port, state) for every TCP socket in the pid's namespace."""
    table = {}
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, name)) as f:
                next(f)
                for line in f:
                    p = line.split()
                    lport = int(p[1].rsplit(":", 1)[1], 16)
                    rport = int(p[2].rsplit(":", 1)[1], 16)
                    table[p[9]] = (lport, rport, int(p[3], 16))
        except OSError:
            pass
    return table


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def cpu_seconds(pid):
    """user + system CPU time of the process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def system_busy_seconds():
    """CPU seconds all processes on the machine have used (every core), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = v[0] + v[1] + v[2]  # user nice system (irq/softirq left out: loopback traffic lands there)
    return busy / os.sysconf("SC_CLK_TCK")


def fd_targets(pid, proxy_port=None, origin_port=None):
    """fd -> what it points at (sockets described by their ports and TCP state)."""
    table = _tcp_table(pid)
    out = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            t = table.get(link[8:-1])
            if t:
                link = "tcp %d->%d state %X" % t
        out[int(fd)] = link
    return out


def snapshot(pid, proxy_port=None, origin_port=None):
    fds = os.listdir("/proc/%d/fd" % pid)
    sockets = []
    for fd in fds:
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            sockets.append(link[8:-1])
    table = _tcp_table(pid)
    origin_ports = {origin_port} if isinstance(origin_port, int) else set(origin_port or ())
    roles = {"listening": 0, "client": 0, "upstream": 0, "other_socket": 0}
    for inode in sockets:
        t = table.get(inode)
        if t is None:
            roles["other_socket"] += 1
        elif t[2] == 0x0A:  # TCP_LISTEN
            roles["listening"] += 1
        elif proxy_port and t[0] == proxy_port:
            roles["client"] += 1
        elif origin_port and t[1] in origin_ports:
            roles["upstream"] += 1
        else:
            roles["other_socket"] += 1
    out = {"fds": len(fds), "rss_kb": status_kb(pid, "VmRSS"), "hwm_kb": status_kb(pid, "VmHWM"),
           "threads": status_kb(pid, "Threads"), "cpu_s": round(cpu_seconds(pid), 2)}
    out.update(roles)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("pid", type=int, help="0: print the machine's busy CPU seconds instead")
    ap.add_argument("--proxy-port", type=int)
    ap.add_argument("--origin-port", type=int)
    a = ap.parse_args()
    if a.pid == 0:
        print("%.2f" % system_busy_seconds())
        raise SystemExit
    print(json.dumps(snapshot(a.pid, a.proxy_port, a.origin_port)))
