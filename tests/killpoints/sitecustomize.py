"""Test-only fault injection for a real `openclaw-chatops` subprocess, loaded through PYTHONPATH.

`CHATOPS_KILL_AT=<n>:<when>` acts at the n-th `os.replace` of the process, the step that makes an
atomic write land (core/fsutil.py): `before` sends SIGKILL to the process just before the rename,
`after` just after it, `enospc` makes the rename fail as a full disk would. The product has no
hook of its own; this stands in for kill -9 and ENOSPC at an exact step.
"""
import os
import signal

_SPEC = os.environ.get("CHATOPS_KILL_AT")
if _SPEC:
    _n, _when = _SPEC.split(":")
    _target, _real, _seen = int(_n), os.replace, [0]

    def _replace(src, dst, *args, **kwargs):
        _seen[0] += 1
        hit = _seen[0] == _target
        if hit and _when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        if hit and _when == "enospc":
            raise OSError(28, "No space left on device")
        _real(src, dst, *args, **kwargs)
        if hit and _when == "after":
            os.kill(os.getpid(), signal.SIGKILL)

    os.replace = _replace
