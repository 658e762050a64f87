#!/usr/bin/env python3
"""pty_drive.py - run a command on a pseudo-terminal and script a dialogue with it.

Usage: pty_drive.py [-t SECONDS] STEP... -- COMMAND [ARG]...

Steps run in order:
  expect=REGEX   wait until the output (after the previous match) matches REGEX
  send=TEXT      type TEXT; Python escapes are decoded (\\r Enter, \\t TAB,
                 \\x03 Ctrl-C, \\x04 Ctrl-D)
  sleep=SECONDS  pause
The whole transcript goes to stdout (CR removed).  Exit status: the command's
(128+N if killed by signal N), or 124 if an expect or the command timed out.
TERM=dumb and INPUTRC=/dev/null are set so readline behaves the same everywhere.
"""
import codecs
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    timeout = 10.0
    if args[:1] == ["-t"]:
        timeout = float(args[1])
        args = args[2:]
    if "--" not in args:
        sys.exit(__doc__)
    split = args.index("--")
    steps, cmd = args[:split], args[split + 1:]
    if not cmd:
        sys.exit(__doc__)

    env = dict(os.environ, TERM="dumb", INPUTRC="/dev/null")
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvpe(cmd[0], cmd, env)
        finally:
            os._exit(127)

    out = bytearray()
    pos = 0
    eof = False

    def pump(deadline):
        nonlocal eof
        while not eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return
            try:
                data = os.read(fd, 4096)
            except OSError:   # EIO: the slave side closed
                data = b""
            if not data:
                eof = True
                return
            out.extend(data)
            return

    def finish(code, why=None):
        sys.stdout.write(out.decode("utf-8", "replace").replace("\r", ""))
        sys.stdout.flush()
        if why:
            sys.stderr.write("pty_drive: %s\n" % why)
        sys.exit(code)

    for step in steps:
        kind, _, val = step.partition("=")
        if kind == "expect":
            rx = re.compile(val.encode())
            deadline = time.monotonic() + timeout
            while True:
                m = rx.search(out, pos)
                if m:
                    pos = m.end()
                    break
                if eof or time.monotonic() >= deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    finish(124, "timeout waiting for %r" % val)
                pump(deadline)
        elif kind == "send":
            data = codecs.decode(val, "unicode_escape").encode("latin-1")
            os.write(fd, data)
        elif kind == "sleep":
            deadline = time.monotonic() + float(val)
            while time.monotonic() < deadline:
                pump(deadline)
        else:
            sys.exit("pty_drive: unknown step %r" % step)

    deadline = time.monotonic() + timeout
    while not eof and time.monotonic() < deadline:
        pump(deadline)
    # The slave may close before the child is reaped; give it the rest.
    while time.monotonic() < deadline:
        wpid, status = os.waitpid(pid, os.WNOHANG)
        if wpid:
            break
        time.sleep(0.02)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        finish(124, "command did not exit")
    if os.WIFSIGNALED(status):
        finish(128 + os.WTERMSIG(status))
    finish(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
