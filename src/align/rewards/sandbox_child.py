"""The code the sandboxed interpreter runs first (``python -I -S -B -c <this file's text> <config>``).

It is not imported by the package: ``align.rewards.sandbox`` passes its source to the child. Inside the child it
reads the user's code from a file in its working directory (and deletes the file), then, before running it:

1. (in a private mount namespace) remounts every mount read-only except the working directory;
2. sets no_new_privs and drops every capability (so the code cannot undo 1, or raise its limits);
3. sets the resource limits (memory, CPU, file size, open files, processes);
4. installs an audit hook that refuses writes outside the working directory, reads outside it and the
   standard library, sockets, subprocesses, exec, fork, signals, ctypes and sub-interpreters.

It must run on any Python >= 3.8 (the child may be the system interpreter), so it uses nothing newer.
"""

import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 8, 32, 4096, 16384
LOCKED_OPTIONS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, CAPABILITY_VERSION_3 = 24, 38, 0x20080522
BLOCKED_IMPORTS = ("ctypes", "_ctypes", "_posixsubprocess", "subprocess", "_xxsubinterpreters", "_interpreters",
                   "_xxinterpchannels", "_interpchannels", "_interpqueues", "_testcapi", "_testinternalcapi")
BLOCKED_EVENTS = frozenset([
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill", "os.killpg",
    "subprocess.Popen", "pty.spawn", "resource.setrlimit", "resource.prlimit", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents", "sys.setprofile", "sys.settrace", "webbrowser.open",
])
BLOCKED_PREFIXES = ("socket.", "ctypes.", "_ctypes.", "os.exec", "os.spawn", "os.posix_spawn", "_posixsubprocess.")
WRITE_EVENTS = {  # event -> positions of the path arguments that must lie in the working directory
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.chmod": (0,), "os.chown": (0,),
    "os.rename": (0, 1), "os.link": (0, 1), "os.symlink": (1,), "os.truncate": (0,), "os.utime": (0,),
    "os.chflags": (0,), "os.lchflags": (0,), "os.setxattr": (0,), "os.removexattr": (0,), "os.mkfifo": (0,),
    "os.mknod": (0,), "shutil.rmtree": (0,), "shutil.copyfile": (1,), "shutil.copymode": (1,),
    "shutil.copystat": (1,), "shutil.copytree": (1,), "shutil.move": (0, 1), "shutil.chown": (0,),
    "shutil.make_archive": (0,), "shutil.unpack_archive": (1,),
}
EXTRA_READ_ROOTS = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/usr/share/zoneinfo",
                    "/etc/localtime")


def main(argv):
    import json
    import os

    config = json.loads(argv[1])
    cwd = os.path.realpath(os.getcwd())
    path = os.path.join(cwd, config["source"])
    with open(path, "rb") as f:
        source = f.read()
    os.remove(path)
    if config.get("readonly"):
        readonly_filesystem(cwd)
    drop_privileges()
    set_limits(config["limits"])
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED_IMPORTS:
            del sys.modules[name]
    if config.get("audit"):
        install_audit_hook(cwd)
    sys.argv = ["solution.py"]
    import builtins

    for name in ("exit", "quit"):  # normally added by `site`, which -S skips
        if not hasattr(builtins, name):
            setattr(builtins, name, sys.exit)
    code = compile(source, "solution.py", "exec")
    del source
    exec(code, {"__name__": "__main__", "__builtins__": __builtins__})  # noqa: S102 - the sandbox's job


def libc():
    import ctypes

    lib = ctypes.CDLL(None, use_errno=True)
    lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    return ctypes, lib


def readonly_filesystem(cwd):
    """Every mount read-only, except ``cwd`` (made a mount of its own first). A mount that cannot be remounted
    (e.g. one this user cannot reach) is left as it is."""
    import os

    ctypes, lib = libc()

    def mount(source, target, flags):
        if lib.mount(source, target.encode(), None, flags, None) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno), target)

    mount(cwd.encode(), cwd, MS_BIND | MS_REC)
    os.chdir(cwd)  # the old working directory is on the mount below the new one
    for target, options in mounts():
        if target != cwd:
            flags = MS_REMOUNT | MS_BIND | MS_RDONLY
            for option in options:
                flags |= LOCKED_OPTIONS.get(option, 0)
            try:
                mount(None, target, flags)
            except OSError:
                pass


def mounts():
    import re

    unescape = re.compile(r"\\([0-7]{3})")
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 5:
                yield unescape.sub(lambda m: chr(int(m.group(1), 8)), fields[4]), fields[5].split(",")


def drop_privileges():
    """no_new_privs, an empty bounding set and no capabilities (best effort without ctypes)."""
    try:
        ctypes, lib = libc()
    except (ImportError, OSError):
        return

    class Header(ctypes.Structure):
        _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))

    class Data(ctypes.Structure):
        _fields_ = (("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32))

    lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    for capability in range(64):
        lib.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    lib.capset(ctypes.byref(Header(CAPABILITY_VERSION_3, 0)), (Data * 2)())


def set_limits(limits):
    import resource

    for name, (soft, hard) in sorted(limits.items()):
        resource.setrlimit(getattr(resource, "RLIMIT_" + name.upper()), (soft, hard))


def install_audit_hook(cwd):
    import os
    import posixpath

    realpath, fsdecode, fspath = posixpath.realpath, os.fsdecode, os.fspath
    read_roots = set(EXTRA_READ_ROOTS) | {cwd}
    read_roots |= {realpath(p) for p in sys.path if p} | {realpath(p) for p in EXTRA_READ_ROOTS}
    read_roots, write_roots = tuple(sorted(read_roots)), (cwd, "/dev/null")
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

    def inside(path, roots):
        if path is None or isinstance(path, int):
            return True  # an anonymous file or an already-open descriptor
        try:
            resolved = realpath(fsdecode(fspath(path)))
        except Exception:  # noqa: BLE001 - anything unresolvable is outside
            return False
        for root in roots:
            if resolved == root or resolved.startswith(root + "/"):
                return True
        return False

    def refuse(event, what=""):
        raise PermissionError(13, "sandbox: " + event + " refused", what)

    def hook(event, args):
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & write_flags)
            if not inside(path, write_roots if writing else read_roots):
                refuse(event, str(path))
        elif event in WRITE_EVENTS:
            for i in WRITE_EVENTS[event]:
                if i < len(args) and not inside(args[i], write_roots):
                    refuse(event, str(args[i]))
        elif event == "import":
            if args and str(args[0]).split(".")[0] in BLOCKED_IMPORTS:
                raise ImportError("sandbox: import of " + str(args[0]) + " refused")
        elif event in BLOCKED_EVENTS or event.startswith(BLOCKED_PREFIXES) or (
                event == "object.__setattr__" and len(args) > 1 and args[1] == "__code__"):
            refuse(event)

    sys.addaudithook(hook)


if __name__ == "__main__":
    main(sys.argv)
