"""Where a command's output goes: standard output (``-``), or a file written whole; one line when it cannot be.

A file is written to a temporary file beside it and renamed over it once complete, so a run that
fails half way (or a full disk) leaves the old file as it was. What cannot take a rename (a device
such as ``/dev/null`` or ``/dev/full``, a named pipe) is written in place. Every failure is an
:class:`~llmextract.errors.OutputError` naming the file and the reason (a folder, no such folder,
permission denied, the disk is full), which the CLI prints as one line; :meth:`Output.check` says
it before a command starts its work.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from llmextract.errors import OutputError

STDOUT = "-"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full (no space left on device)"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exhausted"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EISDIR:
        return "is a directory; give a file name"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.ENOENT:
        return "no such folder"
    return f"cannot write: {exc.strerror or exc}"


class Output:
    """One command's output: ``None`` or ``-`` is standard output, anything else a file."""

    def __init__(self, target: str | os.PathLike[str] | None, *, stdout: IO[str] | None = None) -> None:
        self.target = None if target is None or str(target) == STDOUT else Path(target)
        self._stdout = stdout

    @property
    def stdout(self) -> IO[str]:
        return self._stdout if self._stdout is not None else sys.stdout

    @property
    def name(self) -> str:
        """The target as the user wrote it (``-`` for standard output)."""
        return STDOUT if self.target is None else str(self.target)

    @property
    def is_stdout(self) -> bool:
        return self.target is None

    @property
    def is_terminal(self) -> bool:
        """Whether the output goes to a terminal (then tables and colours are welcome)."""
        if self.target is not None:
            return False
        isatty = getattr(self.stdout, "isatty", None)
        return bool(isatty and isatty())

    @property
    def suffix(self) -> str:
        return self.target.suffix.lower() if self.target is not None else ""

    def _fail(self, reason: str) -> OutputError:
        return OutputError(f"{self.name}: {reason}", path=self.name)

    def _special(self) -> bool:
        """The target exists and is not a regular file (a device, a pipe): written in place."""
        assert self.target is not None
        try:
            mode = os.stat(self.target).st_mode
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._fail(_reason(exc)) from None
        if stat.S_ISDIR(mode):
            raise self._fail("is a directory; give a file name")
        return not stat.S_ISREG(mode)

    def check(self) -> None:
        """Refuse, before any work, a target that cannot be written: a folder, a missing folder, no permission."""
        if self.target is None or self._special():
            if self.target is not None and not os.access(self.target, os.W_OK):
                raise self._fail("permission denied")
            return
        parent = self.target.parent if str(self.target.parent) else Path(".")
        if not parent.is_dir():
            raise self._fail(f"no such folder ({parent})")
        if self.target.exists() and not os.access(self.target, os.W_OK):
            raise self._fail("permission denied")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise self._fail(f"permission denied (cannot create files in {parent})")

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[str]]:
        """A text stream to write the output to; the file is complete (renamed into place) when the block ends."""
        if self.target is None:
            yield self.stdout
            self.stdout.flush()
            return
        with self.path() as path, open(path, "w", encoding="utf-8", newline="") as fh:
            try:
                yield fh
                fh.flush()
            except OSError as exc:
                raise self._fail(_reason(exc)) from None

    @contextlib.contextmanager
    def path(self) -> Iterator[Path]:
        """A path to write the output to (a temporary file beside the target, renamed over it when the block
        ends without an error; the target itself for a device or a pipe). Standard output gets a temporary
        file whose content is copied to it."""
        if self.target is None:
            with tempfile.TemporaryDirectory(prefix="llmextract-") as folder:
                tmp = Path(folder) / "output"
                tmp.touch()
                yield tmp
                self.stdout.write(tmp.read_text(encoding="utf-8"))
                self.stdout.flush()
            return
        if self._special():
            try:
                yield self.target
            except OSError as exc:
                raise self._fail(_reason(exc)) from None
            return
        self.check()
        try:
            fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent or ".")
            os.close(fd)
        except OSError as exc:
            raise self._fail(_reason(exc)) from None
        tmp = Path(name)
        try:
            yield tmp
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            mode = os.stat(self.target).st_mode & 0o777 if self.target.exists() else 0o666 & ~_umask()
            os.chmod(tmp, mode)
            os.replace(tmp, self.target)
        except OSError as exc:
            raise self._fail(_reason(exc)) from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_through(target: str | None, command: Callable[[Path], tuple[str, int]]) -> int:
    """Run a command that writes to a path and returns (its line, exit code), with :class:`Output`'s
    guarantees for ``target`` (checked first, written whole, ``-`` for standard output); its line is
    printed to stderr when the output itself goes to stdout, and a ValueError is one line, exit 2."""
    from llmextract.cli import EXIT_USAGE, say

    output = Output(target)
    output.check()
    try:
        with output.path() as path:
            line, code = command(path)
    except ValueError as exc:
        say(f"llmextract: error: {exc}")
        return EXIT_USAGE
    line = line.replace(str(path), output.name)
    print(line, end="", file=sys.stderr if output.is_stdout else sys.stdout)
    return code
