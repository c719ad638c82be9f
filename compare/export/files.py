"""Writing export files safely: never onto the store, never through a symlink, never over an
existing file unless forced, and whole or not at all.

Every file is written to a temporary file in its own folder and moved into place with
``os.replace`` (atomic on one file system), so a full disk or a killed process leaves the old
file, not half a new one. ``os.replace`` renames over a symlink itself, never its target. Every
refusal and every file system error becomes a :class:`CompareError` that names the path and
says what to do.
"""
from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from compare.errors import CompareError

# The files SQLite keeps beside a store; writing over any of them would damage it.
_STORE_COMPANIONS = ("", "-wal", "-shm", "-journal")
_REASONS = {
    errno.ENOSPC: "the disk is full: free some space or choose another --out",
    errno.EDQUOT: "the disk quota is full: free some space or choose another --out",
    errno.EFBIG: "the file is too large for this disk (full or limited): free some space or "
                 "choose another --out",
    errno.EACCES: "permission denied: choose a folder you can write to",
    errno.EPERM: "permission denied (not allowed): choose a folder you can write to",
    errno.EROFS: "the file system is read-only: choose another --out",
    errno.ENAMETOOLONG: "the name is too long: choose a shorter --out",
    errno.EISDIR: "it is a folder: give a file name",
    errno.ENOENT: "its folder cannot be created there: choose another --out",
}


def sidecar_path(path: Path) -> Path:
    """The provenance file written beside ``path``."""
    return path.with_name(path.name + ".provenance.json")


def check_targets(paths: Sequence[Path], store: Path, *, force: bool) -> None:
    """Refuse to write any of ``paths`` when that would damage or surprise.

    Refused always: the store (or its journal) by name, symlink or hard link; a folder; a
    device, pipe or socket; a path inside a file. Refused without ``force``: an existing file;
    a symlink (with ``force`` the link itself is replaced).

    Raises:
        CompareError: the first refusal, naming the path and what to do.
    """
    for path in paths:
        _check_name(path)
        refuse_store(path, store)
        if path.is_symlink():
            if not force:
                raise CompareError(
                    f"{path} is a symlink (to {os.readlink(path)}): exports never write through "
                    "links; choose another --out, or add --force to replace the link itself")
        elif path.is_dir():
            raise CompareError(f"--out {path} is a folder: give a file name, such as "
                               f"{path / 'parallax-export.csv'}")
        elif path.exists() and not path.is_file():
            raise CompareError(f"{path} is not a regular file (a device, pipe or socket): "
                               "choose a file name for --out")
        elif path.exists() and not force:
            raise CompareError(f"{path} exists: add --force to replace it, or choose another "
                               "--out")
        _check_folder(path)


def refuse_store(path: Path, store: Path) -> None:
    """Refuse ``path`` when it is the store, a file SQLite keeps beside it, or a file in a
    result folder.

    Raises:
        CompareError: it is.
    """
    if _is_store(path, store):
        raise CompareError(f"{path} is the store {store} (or a file SQLite keeps beside it, or "
                           "a file in the result folder): choose another --out; exports never "
                           "replace the store")


def write_files(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write every file whole, then move all into place; on any failure none is half written.

    Raises:
        CompareError: the file system refused (full, no permission, read-only, ...).
    """
    temporary: list[tuple[Path, Path]] = []
    current = files[0][0] if files else Path()
    try:
        for path, data in files:
            current = path
            _make_folder(path)
            temporary.append((_write_temporary(path, data), path))
        for temp, path in temporary:
            current = path
            os.replace(temp, path)
    except OSError as exc:
        raise _file_error(current, exc) from exc
    finally:
        for temp, _ in temporary:
            temp.unlink(missing_ok=True)


def _is_store(path: Path, store: Path) -> bool:
    """``path`` names the store or a file SQLite keeps beside it: by resolved name, or by
    device and inode (a hard link or a symlink to it); or lies in a store that is a folder
    (a result folder, ``compare.datasets.folder``)."""
    # realpath, not Path.resolve: it never raises, even on a symlink loop.
    named = {f"{os.path.realpath(store)}{end}" for end in _STORE_COMPANIONS}
    if os.path.realpath(path) in named:
        return True
    if os.path.isdir(store) and Path(os.path.realpath(path)).is_relative_to(
            os.path.realpath(store)):
        return True
    try:
        seen = path.stat()
    except OSError:
        return False
    for end in _STORE_COMPANIONS:
        try:
            other = os.stat(f"{store}{end}")
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (seen.st_dev, seen.st_ino):
            return True
    return False


def _check_name(path: Path) -> None:
    """Refuse a path the file system cannot even look up (a name over 255 bytes, a folder
    without permission), before the checks below meet the same error as a traceback."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        pass  # a new file, or a path inside a file (_check_folder says so)
    except OSError as exc:
        raise _file_error(path, exc) from exc


def _check_folder(path: Path) -> None:
    """Refuse a path whose nearest existing ancestor is not a folder."""
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise CompareError(f"cannot write {path}: {parent} is a file, not a folder; "
                                   "choose another --out")
            return


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # an ancestor is a file
        raise CompareError(f"cannot write {path}: {path.parent} is not a folder; choose another "
                           "--out") from exc


def _write_temporary(path: Path, data: bytes) -> Path:
    """``data`` in a new hidden file beside ``path`` (mode from the umask, like any new file)."""
    while True:
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _file_error(path: Path, exc: OSError) -> CompareError:
    reason = _REASONS.get(exc.errno or 0)
    if exc.errno == errno.ENOTDIR:
        reason = "part of the path is a file, not a folder: choose another --out"
    return CompareError(f"cannot write {path}: {reason or exc.strerror or exc}")
