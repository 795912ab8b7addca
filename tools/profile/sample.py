#!/usr/bin/env python3
"""Where the kernel spends its time in one benchmark row.

Boots the release kernel in QEMU (TCG, the bench's CPU flags) running the
benchmark rows named on the command line for a long timed loop, samples the
vCPU's RIP and privilege level through QEMU's QMP socket every few
milliseconds, and prints the hottest kernel functions (symbolized with
addr2line). Samples land at translation-block boundaries, so instructions
that end a block under TCG (sti, for instance) are over-counted: read the
figures as "where to look", not as exact shares.

    cargo xtask build --release
    python3 tools/profile/sample.py getpriority [more row prefixes...]
"""
import argparse
import collections
import json
import os
import re
import socket
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="+", help="benchmark row prefixes (see `bench --list`)")
    parser.add_argument("--kernel", default=os.path.join(ROOT, "target/x86_64-unknown-none/release/kernel"))
    parser.add_argument("--initrd", default=os.path.join(ROOT, "target/initramfs.cpio"))
    parser.add_argument("--seconds", type=int, default=8, help="length of each row's timed loop")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="kestrel-profile-")
    qmp_path = os.path.join(workdir, "qmp.sock")
    serial = os.path.join(workdir, "serial.log")
    bench_args = ",".join([f"--time-ms={args.seconds * 1000}"] + [f"--only={r}" for r in args.rows])
    qemu = subprocess.Popen([
        "qemu-system-x86_64", "-M", "q35", "-m", "512M", "-smp", "1",
        "-serial", f"file:{serial}", "-display", "none", "-no-reboot", "-net", "none",
        "-accel", "tcg", "-cpu", "max,-erms,-fsrm",
        "-kernel", args.kernel, "-initrd", args.initrd,
        "-append", f"loglevel=error initmode=bench benchargs={bench_args}",
        "-qmp", f"unix:{qmp_path},server,nowait",
    ])
    samples = sample(qemu, qmp_path)
    qemu.wait()
    with open(serial, errors="replace") as log:
        for line in log:
            if line.startswith("BENCH "):
                print(line.rstrip())
    report(args.kernel, samples, args.top)


def sample(qemu, qmp_path):
    """(rip, cpl) pairs until the guest powers off."""
    for _ in range(200):
        if os.path.exists(qmp_path):
            break
        time.sleep(0.05)
    conn = socket.socket(socket.AF_UNIX)
    conn.connect(qmp_path)
    stream = conn.makefile("rw")
    stream.readline()  # the greeting

    def command(obj):
        stream.write(json.dumps(obj) + "\n")
        stream.flush()
        while True:
            line = stream.readline()
            if not line:
                return None
            reply = json.loads(line)
            if "return" in reply or "error" in reply:
                return reply

    command({"execute": "qmp_capabilities"})
    # Boot and the loop-size calibration are not what we are after.
    time.sleep(2.0)
    samples = []
    registers = {"execute": "human-monitor-command", "arguments": {"command-line": "info registers"}}
    while qemu.poll() is None:
        try:
            reply = command(registers)
        except (BrokenPipeError, ConnectionResetError, json.JSONDecodeError):
            break
        if not reply or "return" not in reply:
            break
        rip = re.search(r"RIP=([0-9a-f]+)", reply["return"])
        cpl = re.search(r"CPL=(\d)", reply["return"])
        if rip and cpl:
            samples.append((int(rip.group(1), 16), int(cpl.group(1))))
        time.sleep(0.003)
    return samples


def report(kernel, samples, top):
    kernel_pcs = [hex(rip) for rip, cpl in samples if cpl == 0]
    print(f"{len(samples)} samples: {len(kernel_pcs)} in the kernel, "
          f"{len(samples) - len(kernel_pcs)} in user mode")
    if not kernel_pcs:
        return
    lines = subprocess.run(["addr2line", "-f", "-C", "-e", kernel] + kernel_pcs,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    functions = collections.Counter(lines[0::2])
    for name, count in functions.most_common(top):
        print(f"{count:6d} {100 * count / len(samples):5.1f}%  {name[:120]}")


if __name__ == "__main__":
    main()
