"""Fetch dataset archives safely: HTTPS with resume, SHA-256 checks, guarded extraction.

    download("pamap2")                          # fetch, verify, extract to <home>/datasets/pamap2
    download("mobiact", from_path="MobiAct.zip")  # registration-form datasets: a local copy

Archives are cached in ``<home>/downloads``; a partial download (``*.part``) is resumed with an
HTTP Range request. A pinned SHA-256 is verified; where none is known yet, the digest is printed
and recorded in ``<archive>.sha256.json``. Extraction refuses (before writing anything) absolute
paths, ``..`` components, links and device files, in zip and tar alike (tar additionally through
the ``data`` extraction filter); listed inner archives are extracted the same way.
"""

from __future__ import annotations

import fnmatch
import hashlib
import http.client
import json
import shutil
import stat
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tqdm.auto import tqdm

from zcphar import __version__
from zcphar.errors import ZcpharError, unknown_choice
from zcphar.paths import home

CHUNK = 1 << 20
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MANIFEST = ".zcphar_download.json"


@dataclass(frozen=True)
class Source:
    """Where a dataset comes from.

    Attributes:
        name: registry name of the dataset.
        urls: archive URLs (empty when a registration form or the authors stand in the way).
        sha256: pinned digest per URL, None where not known yet.
        page: the dataset's official page.
        nested: file-name patterns of inner archives to extract after the outer one.
        manual: how to obtain the data when there is no URL.
        allow_http: the host serves plain HTTP only (integrity then rests on the digest).
    """

    name: str
    urls: tuple[str, ...] = ()
    sha256: tuple[str | None, ...] = ()
    page: str = ""
    nested: tuple[str, ...] = ()
    manual: str = ""
    allow_http: bool = False


UCI = "https://archive.ics.uci.edu/static/public"
SOURCES: dict[str, Source] = {s.name: s for s in [
    Source("hhar", (f"{UCI}/344/heterogeneity+activity+recognition.zip",), (None,),
           "https://archive.ics.uci.edu/dataset/344/heterogeneity+activity+recognition",
           nested=("Activity recognition exp.zip",)),
    Source("pamap2", (f"{UCI}/231/pamap2+physical+activity+monitoring.zip",), (None,),
           "https://archive.ics.uci.edu/dataset/231/pamap2+physical+activity+monitoring",
           nested=("PAMAP2_Dataset.zip",)),
    Source("motionsense", ("https://github.com/mmalekzadeh/motion-sense/raw/master/data/"
                           "B_Accelerometer_data.zip",), (None,),
           "https://github.com/mmalekzadeh/motion-sense"),
    Source("realworld", ("http://wifo5-14.informatik.uni-mannheim.de/sensor/dataset/"
                         "realworld2016/realworld2016_dataset.zip",), (None,),
           "https://sensor.informatik.uni-mannheim.de/index.html#dataset_realworld",
           allow_http=True),
    Source("dsads", (f"{UCI}/256/daily+and+sports+activities.zip",), (None,),
           "https://archive.ics.uci.edu/dataset/256/daily+and+sports+activities"),
    Source("sp_sw_har", ("https://github.com/GeoTecINIT/sp-sw-har-dataset/archive/"
                         "1408d85a512a53861de7bc4729dee283fff2ea9d.zip",), (None,),
           "https://doi.org/10.5281/zenodo.8398688"),
    Source("mobiact", page="https://bmi.hmu.gr/the-mobifall-and-mobiact-datasets-2/",
           manual="fill in the registration form on the page, download MobiAct_Dataset_v2.0, "
                  "extract the .rar (e.g. `unrar x`), then pass the zip or folder with --from"),
    Source("mobifall", page="https://bmi.hmu.gr/the-mobifall-and-mobiact-datasets-2/",
           manual="fill in the registration form on the page, then pass the archive or "
                  "folder with --from"),
    Source("myogym", page="http://www.oulu.fi/bisg/node/40364",
           manual="no stable URL: get MyoGym.mat from the authors (University of Oulu BISG), "
                  "then pass it with --from"),
]}


def get_source(name: str) -> Source:
    """The `Source` of a dataset; unknown names raise an error listing the known ones."""
    if name not in SOURCES:
        raise unknown_choice("downloadable dataset", name, sorted(SOURCES))
    return SOURCES[name]


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_url(url: str, allow_http: bool) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (
        parts.scheme == "http" and (allow_http or parts.hostname in LOOPBACK)
    ):
        return
    raise ZcpharError(f"refusing to download {url!r}: only https URLs are fetched")


def _open(url: str, start: int, timeout: float) -> http.client.HTTPResponse | None:
    """The response, or None when a resumed range starts at the end (the file is complete)."""
    headers = {"User-Agent": f"zcphar/{__version__}"}
    if start:
        headers["Range"] = f"bytes={start}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and start:  # Range Not Satisfiable: nothing left to fetch
            return None
        raise ZcpharError(f"download of {url} failed: HTTP {err.code} {err.reason}") from err
    except (urllib.error.URLError, OSError) as err:
        raise ZcpharError(f"download of {url} failed: {err}") from err


def _receive(response, part: Path, start: int, total: int | None, progress: bool) -> None:
    """Append the response body to `part`; on a broken connection keep what arrived."""
    with open(part, "ab" if start else "wb") as out, tqdm(
        total=total, initial=start, unit="B", unit_scale=True, desc=part.name[:-5],
        disable=not progress, leave=False,
    ) as bar:
        try:
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                bar.update(len(block))
        except (http.client.HTTPException, OSError) as err:
            raise ZcpharError(
                f"download interrupted ({err.__class__.__name__}) after {out.tell()} bytes; "
                "run the same command again to resume") from err


def fetch(url: str, dest: Path, *, sha256: str | None = None, progress: bool = True,
          timeout: float = 60.0, allow_http: bool = False) -> Path:
    """Download `url` to `dest`, resuming ``dest.part`` and verifying `sha256` when given.

    Args:
        url: https URL (plain http only for loopback hosts or with `allow_http`).
        dest: final file path; the download goes to ``<dest>.part`` until complete.
        sha256: expected hex digest; a mismatch deletes the download and raises.
        progress: show a tqdm progress bar.
        timeout: seconds to wait on the connection.
        allow_http: accept a plain http URL (for hosts without https).

    Returns:
        `dest`, complete.
    """
    _check_url(url, allow_http)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() and (sha256 is None or sha256_file(dest) == sha256):
        return dest
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.exists() else 0
    response, total = _open(url, start, timeout), None
    if response is not None:
        with response:
            if start and response.status != 206:  # the server ignored the Range: start over
                start = 0
            length = response.headers.get("Content-Length")
            total = start + int(length) if length is not None else None
            _receive(response, part, start, total, progress)
    size = part.stat().st_size
    if total is not None and size != total:
        raise ZcpharError(f"download of {url} incomplete ({size} of {total} bytes); "
                          "run the same command again to resume")
    digest = sha256_file(part)
    if sha256 is not None and digest != sha256:
        part.unlink()
        raise ZcpharError(f"SHA-256 mismatch for {url}: expected {sha256}, got {digest}; "
                          "the download was deleted")
    part.replace(dest)
    return dest


def _bad_name(name: str) -> str | None:
    """Why an archive member name is unsafe, or None."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return "absolute path"
    if ".." in path.parts:
        return "'..' component"
    return None


def _zip_plan(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    plan = []
    for info in archive.infolist():
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip records no Unix type
        why = _bad_name(info.filename)
        if why is None and kind == stat.S_IFLNK:
            why = "symbolic link"
        elif why is None and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            why = "device or special file"
        if why:
            raise ZcpharError(f"unsafe archive member {info.filename!r} ({why}); nothing extracted")
        if not info.filename.startswith("__MACOSX"):
            plan.append(info)
    return plan


def _tar_plan(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    plan = []
    for member in archive.getmembers():
        why = _bad_name(member.name)
        if why is None and (member.issym() or member.islnk()):
            why = "symbolic or hard link"
        elif why is None and not (member.isfile() or member.isdir()):
            why = "device or special file"
        if why:
            raise ZcpharError(f"unsafe archive member {member.name!r} ({why}); nothing extracted")
        if not member.name.startswith("__MACOSX"):
            plan.append(member)
    return plan


def _extract_zip(path: Path, dest: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for info in _zip_plan(archive):
            target = dest / info.filename.replace("\\", "/")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)


def safe_extract(archive: Path, dest: Path, *, nested: tuple[str, ...] = ()) -> Path:
    """Extract a zip or tar archive into `dest`, refusing unsafe members before writing anything.

    Args:
        archive: the zip or tar (optionally compressed) file.
        dest: destination folder (created).
        nested: file-name patterns of inner archives to extract next to themselves, then
            delete (three levels deep at most).

    Returns:
        `dest`.
    """
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        _extract_zip(archive, dest)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            tar.extractall(dest, members=_tar_plan(tar), filter="data")
    elif archive.suffix.lower() == ".rar":
        raise ZcpharError(f"{archive.name}: RAR archives are not extracted by zcphar; extract it "
                          "(e.g. `unrar x` or `bsdtar -xf`) and pass the folder with --from")
    else:
        raise ZcpharError(f"{archive.name}: not a zip or tar archive")
    _extract_nested(dest, nested)
    return dest


def _extract_nested(root: Path, nested: tuple[str, ...]) -> None:
    for _ in range(3 if nested else 0):
        inner = [p for p in sorted(root.rglob("*")) if p.is_file()
                 and any(fnmatch.fnmatch(p.name, pattern) for pattern in nested)]
        for archive in inner:
            safe_extract(archive, archive.parent)
            archive.unlink()
        if not inner:
            return


def _record_digest(archive: Path, origin: str, digest: str, pinned: str | None) -> None:
    record = {"origin": origin, "sha256": digest, "bytes": archive.stat().st_size,
              "pinned": pinned is not None}
    archive.with_name(archive.name + ".sha256.json").write_text(json.dumps(record, indent=2))


def _from_local(src: Source, path: Path, target: Path, log: Callable[[str], None]) -> dict:
    if not path.exists():
        raise ZcpharError(f"--from {str(path)!r} does not exist")
    if path.is_dir():
        shutil.copytree(path, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__MACOSX"))
        _extract_nested(target, src.nested)
        return {"from": str(path.resolve())}
    digest = sha256_file(path)
    log(f"{path.name}: sha256 {digest}")
    if zipfile.is_zipfile(path) or tarfile.is_tarfile(path) or path.suffix.lower() == ".rar":
        safe_extract(path, target, nested=src.nested)
    else:  # a single data file, e.g. MyoGym.mat
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / path.name)
    return {"from": str(path.resolve()), "sha256": digest}


def download(name: str, *, to: Path | str | None = None, from_path: Path | str | None = None,
             progress: bool = True, log: Callable[[str], None] = print) -> Path:
    """Fetch (or take from `from_path`), verify and extract a dataset.

    Args:
        name: dataset name (see `SOURCES`).
        to: extraction folder (default ``<home>/datasets/<name>``, where the readers look).
        from_path: a local archive, data file or folder instead of downloading.
        progress: show progress bars.
        log: where messages go.

    Returns:
        The folder holding the extracted dataset.
    """
    src = get_source(name)
    target = Path(to).expanduser() if to else home() / "datasets" / name
    if from_path is not None:
        record = _from_local(src, Path(from_path).expanduser(), target, log)
    elif not src.urls:
        raise ZcpharError(f"{name} cannot be downloaded automatically: {src.manual} "
                          f"(page: {src.page})")
    else:
        record = {"urls": list(src.urls), "sha256": []}
        for url, pinned in zip(src.urls, src.sha256, strict=True):
            leaf = urllib.parse.unquote(PurePosixPath(urllib.parse.urlsplit(url).path).name)
            archive = fetch(url, home() / "downloads" / f"{name}-{leaf}", sha256=pinned,
                            progress=progress, allow_http=src.allow_http)
            digest = pinned or sha256_file(archive)
            if pinned is None:
                log(f"{archive.name}: sha256 {digest} (no pinned digest yet; recorded in "
                    f"{archive.name}.sha256.json)")
            _record_digest(archive, url, digest, pinned)
            record["sha256"].append(digest)
            safe_extract(archive, target, nested=src.nested)
    (target / MANIFEST).write_text(json.dumps({"name": name, **record}, indent=2))
    return target
