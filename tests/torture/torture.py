#!/usr/bin/python3
"""torture.py - bounded fault campaign (issue 20): mutated captures through
every offline applet, then hostile datagrams at a live dnsfrag in a network
namespace.  Meant for the ASan+UBSan build (make torture
TORTURE_V6KIT=build-san/v6kit); any sanitizer report, crash, hang or exit
status outside 0-3 is a finding, and its input is kept for replay.

  torture.py --v6kit PATH [--seconds N] [--seed S] [--keep DIR]

Prints TAP lines, then "N passed, N failed, N skipped" (as tests/run does).
Replay a finding: the "not ok" line gives the command and the saved input.
"""
import argparse
import glob
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAN_MARKS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:",
             b"SUMMARY: UndefinedBehaviorSanitizer")
RELAY_DEST = "2001:db8::1 192.0.2.2 02:00:00:00:00:01"

tap_n = 0
passed = failed = skipped = 0


def tap(ok, what, skip=None):
    global tap_n, passed, failed, skipped
    tap_n += 1
    if skip:
        print("ok %d - %s # skip %s" % (tap_n, what, skip))
        skipped += 1
    elif ok:
        print("ok %d - %s" % (tap_n, what))
        passed += 1
    else:
        print("not ok %d - %s" % (tap_n, what))
        failed += 1
    sys.stdout.flush()


def mutate(rng, data, other):
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(6)
        if not b:
            b = bytearray(other[:rng.randint(0, len(other))])
            continue
        if op == 0:                     # flip bits
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif op == 1:                   # an extreme 32-bit value (lengths, timestamps)
            at = rng.randrange(len(b))
            v = rng.choice([0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 65535, 65536,
                            262144, 262145, 1000000, 999999999, rng.getrandbits(32)])
            b[at:at + 4] = struct.pack(rng.choice("<>") + "I", v)
        elif op == 2:                   # truncate
            del b[rng.randrange(len(b) + 1):]
        elif op == 3:                   # duplicate a chunk
            a = rng.randrange(len(b))
            n = rng.randint(1, 200)
            b[a:a] = b[a:a + n]
        elif op == 4:                   # splice another capture's records
            a = rng.randrange(len(b))
            b[a:] = other[rng.randrange(max(1, len(other))):]
        else:                           # 16-bit extreme (ethertype, IP lengths)
            at = rng.randrange(len(b))
            b[at:at + 2] = struct.pack(">H", rng.choice([0, 0xffff, 0x86dd, 0x0800, 0x8100,
                                                         40, 41, 44, 58, 17, 6, 0x2c]))
    return bytes(b)


def applet_cmds(v6kit, path, out):
    return [
        ("checksum", [v6kit, "checksum", "-r", path, "-j"]),
        ("checksum --fix", [v6kit, "checksum", "-r", path, "--fix", "-w", out, "-q"]),
        ("ra-sniff", [v6kit, "ra-sniff", "-r", path, "-j"]),
        ("6in4-relay", [v6kit, "6in4-relay", "-r", path, "-w", out, "-l", "192.0.2.1",
                        "--dest", RELAY_DEST, "-j"]),
        ("pcap-replay", [v6kit, "pcap-replay", "-t", "-w", out, "-j", "--fix-checksums", path]),
    ]


def judge(proc_rc, err, timed_out):
    if timed_out:
        return "hang (no exit within 20 s)"
    if proc_rc < 0:
        return "killed by signal %d" % -proc_rc
    if any(m in err for m in SAN_MARKS):
        return "sanitizer report"
    if proc_rc not in (0, 1, 2, 3):
        return "exit status %d" % proc_rc
    return None


def capture_phase(args, rng, deadline, work):
    seeds = sorted(set(glob.glob(os.path.join(TOP, "tests/fixtures/**/*.pcap*"), recursive=True) +
                       glob.glob(os.path.join(TOP, "tests/fuzz/corpus/fuzz_pcap/*"))))
    seeds = [s for s in seeds if os.path.isfile(s) and os.path.getsize(s) < 2 << 20]
    if not seeds:
        tap(True, "mutated captures", skip="no seed captures")
        return
    blobs = [open(s, "rb").read() for s in seeds]
    runs, findings = {}, []
    i = 0
    while time.monotonic() < deadline:
        k = rng.randrange(len(blobs))
        data = mutate(rng, blobs[k], blobs[rng.randrange(len(blobs))])
        path = os.path.join(work, "in.pcap")
        out = os.path.join(work, "out.pcap")
        with open(path, "wb") as f:
            f.write(data)
        name, cmd = rng.choice(applet_cmds(args.v6kit, path, out))
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=20)
            why = judge(p.returncode, p.stderr, False)
        except subprocess.TimeoutExpired as e:
            why, p = judge(0, b"", True), e
        runs[name] = runs.get(name, 0) + 1
        i += 1
        if why:
            keep = os.path.join(args.keep, "capture-%d-%d.pcap" % (args.seed, i))
            shutil.copyfile(path, keep)
            findings.append((name, why, keep, " ".join(cmd).replace(path, keep),
                             (getattr(p, "stderr", b"") or b"")[-600:]))
    for name in sorted(runs):
        bad = [f for f in findings if f[0] == name]
        tap(not bad, "%s: %d mutated captures, %d findings" % (name, runs[name], len(bad)))
        for f in bad[:5]:
            print("#   %s: %s\n#   input kept: %s\n#   replay: %s" % (f[0], f[1], f[2], f[3]))
            for line in f[4].decode("utf-8", "replace").splitlines()[-8:]:
                print("#   | " + line)


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


SENDER = r'''
import os, random, socket, struct, sys, time
rng = random.Random(int(sys.argv[1])); end = time.monotonic() + float(sys.argv[2])
def q(name, qtype=16):
    w = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return struct.pack(">HHHHHH", rng.getrandbits(16), 0x0100, 1, 0, 0, 0) + w + struct.pack(">HH", qtype, 1)
socks = [socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) for _ in range(8)]
for s in socks: s.setblocking(False)
n = 0
while time.monotonic() < end:
    k = rng.randrange(7)
    if k == 0: d = os.urandom(rng.randrange(0, 600))
    elif k == 1: d = b""
    elif k == 2:
        d = bytearray(q("x%d.lab" % rng.randrange(1000)))
        for _ in range(rng.randint(1, 6)): d[rng.randrange(len(d))] = rng.getrandbits(8)
        d = bytes(d)
    elif k == 3: d = q("a.lab")[:rng.randrange(1, 17)]
    elif k == 4: d = struct.pack(">HHHHHH", 1, 0x0100, 0xffff, 0xffff, 0xffff, 0xffff) + b"\xc0\x0c" * 200
    elif k == 5: d = os.urandom(rng.choice([1232, 4096, 65000]))
    else: d = q("ok.lab", rng.choice([1, 16, 28, 255, 65535]))
    try:
        rng.choice(socks).sendto(d, ("2001:db8:1::1", 53)); n += 1
    except OSError:
        time.sleep(0.0005)
    if n % 64 == 0:
        for s in socks:
            try:
                while True: s.recv(70000)
            except OSError: pass
print(n)
'''


def datagram_phase(args, rng, seconds, work):
    what = "hostile datagrams at dnsfrag"
    if os.geteuid() != 0 or not shutil.which("ip"):
        tap(True, what, skip="needs root and ip(8) for a network namespace")
        return
    tag = "v6kt%d" % os.getpid()
    c, f = tag + "c", tag + "f"
    dnsfrag = None
    try:
        sh("ip", "netns", "add", c)
        sh("ip", "netns", "add", f)
        sh("ip", "-n", c, "link", "add", "c0", "type", "veth", "peer", "name", "f0", "netns", f)
        for ns, ifc, addr in ((c, "c0", "2001:db8:1::2/64"), (f, "f0", "2001:db8:1::1/64")):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", ifc, "up")
            sh("ip", "-n", ns, "-6", "addr", "add", addr, "dev", ifc, "nodad")
            sh("ip", "netns", "exec", ns, "ethtool", "-K", ifc, "tx", "off", "gro", "off", check=False)
        err = open(os.path.join(work, "dnsfrag.err"), "wb")
        out = open(os.path.join(work, "dnsfrag.out"), "wb")
        dnsfrag = subprocess.Popen(["ip", "netns", "exec", f, args.v6kit, "dnsfrag", "-i", "f0",
                                    "--builtin", "700", "-p", "53", "--json", "-q",
                                    "--allow", "2001:db8:1::/64", "--rate-limit", "100000"],
                                   stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        up = False
        for _ in range(100):
            r = subprocess.run(["ip", "netns", "exec", f, "ss", "-Hlun", "sport = :53"],
                               capture_output=True)
            if r.stdout.strip():
                up = True
                break
            if dnsfrag.poll() is not None:
                break
            time.sleep(0.05)
        if not up:
            tap(False, what + ": dnsfrag did not start")
            return
        snd = subprocess.run(["ip", "netns", "exec", c, "/usr/bin/python3", "-c", SENDER,
                              str(args.seed), str(max(1.0, seconds))],
                             capture_output=True, timeout=seconds + 30)
        sent = snd.stdout.decode().strip() or "0"
        alive = dnsfrag.poll() is None
        dnsfrag.send_signal(signal.SIGINT)
        try:
            rc = dnsfrag.wait(timeout=20)
        except subprocess.TimeoutExpired:
            dnsfrag.kill()
            rc = "hang"
        err.close()
        out.close()
        errs = open(os.path.join(work, "dnsfrag.err"), "rb").read()
        summ = [l for l in open(os.path.join(work, "dnsfrag.out"), "rb").read().splitlines()
                if b'"type":"summary"' in l]
        why = None
        if not alive:
            why = "dnsfrag died under load (exit %s)" % dnsfrag.returncode
        elif rc == "hang":
            why = "no exit within 20 s of SIGINT"
        else:
            why = judge(rc, errs, False) or (None if rc == 0 else "exit status %d" % rc)
        if not why and not summ:
            why = "no summary line"
        tap(not why, "%s: %s datagrams%s" % (what, sent, (": " + why) if why else ""))
        if why:
            for line in errs.decode("utf-8", "replace").splitlines()[-12:]:
                print("#   | " + line)
        elif summ:
            print("#   " + summ[-1].decode()[:300])
    finally:
        if dnsfrag and dnsfrag.poll() is None:
            dnsfrag.kill()
            dnsfrag.wait()
        sh("ip", "netns", "del", c, check=False)
        sh("ip", "netns", "del", f, check=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--v6kit", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--keep", default=None)
    args = ap.parse_args()
    args.v6kit = os.path.abspath(args.v6kit)
    work = tempfile.mkdtemp(prefix="v6kit-torture.")
    args.keep = args.keep or os.path.join(tempfile.gettempdir(), "v6kit-torture-findings")
    os.makedirs(args.keep, exist_ok=True)
    os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1")
    os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    print("# torture: %s, %.0f s, seed %d (replay: --seed %d)" %
          (args.v6kit, args.seconds, args.seed, args.seed))
    rng = random.Random(args.seed)
    t0 = time.monotonic()
    try:
        capture_phase(args, rng, t0 + args.seconds * 0.6, work)
        datagram_phase(args, rng, max(1.0, t0 + args.seconds - time.monotonic() - 3), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % tap_n)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
