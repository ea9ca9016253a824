"""Layer 3, the host walls: raised once around the fork server (inherited by
every child, free per run) plus a per-child seccomp filter loaded from a
program compiled once in the server.

Each wall is attempted, and what actually took effect is reported, never
assumed: ``raise_server_walls`` returns a dict of wall -> bool/str that the
server sends to the client at start (``python -m sandbox doctor`` shows it,
and probes it with real attempts).

* ``seccomp``: through pyseccomp (ctypes binding of libseccomp, the
  maintained C library; Debian package ``libseccomp2``). Server filter: no
  sockets, no exec, no ptrace/bpf/mount/namespaces/io_uring/keyrings. Child
  filter adds: no fork/clone, no opening files for writing, no creating,
  renaming, linking or deleting files, no changing owners or modes.
* ``netns``: a network namespace of our own (only a down loopback).
* ``chroot``: the server's root is an empty directory that the client deletes
  after start, so a child that escaped the language policy finds no files.
* ``uid``: children run as an unprivileged uid per pool slot (needs root), so
  ``RLIMIT_NPROC=0`` really forbids new processes.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import sys
import types

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SYS_SECCOMP_X86_64 = 317
SECCOMP_SET_MODE_FILTER = 1
# Without this flag the kernel also turns on the Speculative Store Bypass
# mitigation for every filtered process, which made each child ~25% slower
# here. It guards against Spectre v4 inside one address space (JIT sandboxes);
# a child has nothing of anyone else's in its own, so we let it be.
SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1 << 2

SERVER_DENIED = (
    "socket socketpair execve execveat ptrace process_vm_readv process_vm_writev bpf "
    "perf_event_open userfaultfd keyctl add_key request_key mount umount2 pivot_root "
    "unshare setns kexec_load kexec_file_load init_module finit_module delete_module "
    "io_uring_setup io_uring_enter io_uring_register open_by_handle_at name_to_handle_at "
    "swapon swapoff reboot acct quotactl syslog iopl ioperm lookup_dcookie vhangup "
    "fanotify_init personality"
).split()

CHILD_DENIED = (
    "fork vfork clone clone3 creat mkdir mkdirat rmdir unlink unlinkat rename renameat "
    "renameat2 link linkat symlink symlinkat chmod fchmod fchmodat chown fchown lchown "
    "fchownat truncate mknod mknodat utime utimes utimensat futimesat setxattr lsetxattr "
    "fsetxattr removexattr lremovexattr fremovexattr memfd_create openat2 chroot "
    "setuid setgid setreuid setregid setresuid setresgid setgroups kill tkill"
).split()

_WRITE_FLAGS = (os.O_WRONLY, os.O_RDWR, os.O_CREAT, os.O_TRUNC, os.O_APPEND)

_libc = ctypes.CDLL(None, use_errno=True)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


# What pyseccomp asks ctypes.util.find_library for, on glibc Linux.
_SONAMES = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}


def _seccomp():
    try:
        return _slim_pyseccomp()
    except Exception:  # noqa: BLE001, S110 - then the plain import, below
        pass
    try:
        import pyseccomp  # noqa: PLC0415 - optional: the wall is reported absent without it

        return pyseccomp
    except Exception:  # noqa: BLE001 - ImportError, or OSError when libseccomp is missing
        return None


def _slim_pyseccomp():
    """pyseccomp, imported without ``ctypes.util``. pyseccomp wants it only for
    two ``find_library`` calls, and ``ctypes.util`` imports tempfile,
    subprocess, shutil (zlib, bz2, lzma) and threading: in the fork server,
    a dozen modules and ~40 more memory mappings that every fork copies and
    every child's exit tears down. A stand-in answers the two sonames for the
    import alone; when that fails (another libc), the plain import runs."""
    if "pyseccomp" in sys.modules or "ctypes.util" in sys.modules:
        import pyseccomp  # noqa: PLC0415

        return pyseccomp
    stub = types.ModuleType("ctypes.util")
    stub.find_library = _SONAMES.get
    sys.modules["ctypes.util"] = stub
    ctypes.util = stub
    try:
        import pyseccomp  # noqa: PLC0415
    finally:
        del sys.modules["ctypes.util"]
        del ctypes.util
    return pyseccomp


def _deny_all(sc, flt, names, err=errno.EPERM):
    for name in names:
        try:
            flt.add_rule(sc.ERRNO(err), name)
        except (OSError, ValueError, RuntimeError):
            pass  # unknown on this architecture


# What only the child's own filter denies: the zygote, which loads the rest of
# CHILD_DENIED once for all its children, still needs to clone them, and each
# child needs to take its own uid before it loads this short tail.
CHILD_TAIL = "clone setuid setgid setreuid setregid setresuid setresgid setgroups".split()


def _child_filter_program(denied=tuple(CHILD_DENIED), write_rules=True):
    """Compile a child filter once; return (prog struct, keepalive)."""
    sc = _seccomp()
    if sc is None:
        return None
    flt = sc.SyscallFilter(sc.ALLOW)
    _deny_all(sc, flt, denied)
    # openat2 is denied with ENOSYS so libc falls back to openat, checked here.
    for syscall, arg in (("open", 1), ("openat", 2)) if write_rules else ():
        for flag in _WRITE_FLAGS:
            flt.add_rule(sc.ERRNO(errno.EACCES), syscall, sc.Arg(arg, sc.MASKED_EQ, flag, flag))
    r, w = os.pipe()
    with os.fdopen(w, "wb") as wf:
        flt.export_bpf(wf)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    program = b"".join(chunks)
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.addressof(buf))
    return prog, buf


class ChildWalls:
    """Per-child setup, prepared in the server so that a fork pays little.

    A child forked by the server itself loads the whole child filter. The
    zygote loads all of it but ``CHILD_TAIL`` once, with no_new_privs and the
    job-independent resource limits (``enter_zygote``): its children inherit
    them and load only the tail (a filter's cost, its translation and JIT in
    the kernel, grows with its length). Together the two filters deny what
    the whole one does."""

    def __init__(self, use_seccomp: bool):
        self.filter = _child_filter_program() if use_seccomp else None
        self.zygote_filter = self.tail_filter = None
        if self.filter is not None:
            head = tuple(n for n in CHILD_DENIED if n not in CHILD_TAIL)
            self.zygote_filter = _child_filter_program(head)
            self.tail_filter = _child_filter_program(tuple(CHILD_TAIL), write_rules=False)
        self.in_zygote = False  # True in the zygote (and its children) once entered

    def enter_zygote(self, job_independent_limits) -> bool:
        """In the zygote: raise what every child of it would raise itself."""
        try:
            for limit, value in job_independent_limits:
                resource.setrlimit(limit, value)
        except (OSError, ValueError):
            return False
        if not self.no_new_privs():
            return False
        if self.filter is not None:
            if self.zygote_filter is None or self.tail_filter is None:
                return False
            if not self._load(self.zygote_filter):
                return False
        self.in_zygote = True
        return True

    def no_new_privs(self) -> bool:
        return _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0

    def parent_death_kill(self, signal_number: int) -> None:
        _libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0)

    def load_filter(self) -> bool:
        if self.filter is None:
            return False
        return self._load(self.tail_filter if self.in_zygote else self.filter)

    def _load(self, program) -> bool:
        prog, _buf = program
        if os.uname().machine == "x86_64":
            flags = SECCOMP_FILTER_FLAG_SPEC_ALLOW
            if (
                _libc.syscall(
                    SYS_SECCOMP_X86_64, SECCOMP_SET_MODE_FILTER, flags, ctypes.byref(prog)
                )
                == 0
            ):
                return True
        return _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0


def _write_file(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def raise_server_walls(chroot_dir: str | None, want: dict) -> dict:
    """Raise what the kernel allows around the server. Returns what is active."""
    active = {
        "root": os.geteuid() == 0,
        "netns": False,
        "userns": False,
        "chroot": False,
        "seccomp": False,
    }
    uid, gid = os.geteuid(), os.getegid()
    if want.get("netns", True):
        if uid == 0:
            active["netns"] = _libc.unshare(CLONE_NEWNET) == 0
        elif _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
            # Unprivileged: map ourselves to root of a user namespace of our own.
            try:
                _write_file("/proc/self/setgroups", "deny")
                _write_file("/proc/self/uid_map", f"0 {uid} 1")
                _write_file("/proc/self/gid_map", f"0 {gid} 1")
                active["userns"] = active["netns"] = True
            except OSError:
                active["netns"] = True
    if chroot_dir and want.get("chroot", True):
        try:
            os.chroot(chroot_dir)
            os.chdir("/")
            active["chroot"] = True
        except OSError:
            pass
    if want.get("seccomp", True):
        sc = _seccomp()
        if sc is not None:
            try:
                flt = sc.SyscallFilter(sc.ALLOW)
                _deny_all(sc, flt, SERVER_DENIED)
                try:
                    flt.set_attr(sc.Attr.CTL_SSB, 1)  # see SECCOMP_FILTER_FLAG_SPEC_ALLOW
                except (OSError, RuntimeError, ValueError):
                    pass
                flt.load()
                active["seccomp"] = True
            except (OSError, RuntimeError, ValueError):
                active["seccomp"] = False
    return active
