"""Memory of the current process, read from /proc (standard library only, so benchmark children
running in a peer's own virtual environment can import it too)."""


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def rss_mb() -> float:
    return _status_mb("VmRSS")


def peak_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child would report
    # its parent's peak.
    return _status_mb("VmHWM")
