"""The downloader against a local HTTP server on 127.0.0.1 (never the network): resume, digests,
and extraction that refuses unsafe archives."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zcphar.cli.main import main
from zcphar.data import download as dl
from zcphar.errors import ZcpharError

PAYLOAD = bytes(range(256)) * 4000  # 1,024,000 bytes


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, blob in files.items():
            archive.writestr(name, blob)
    return buffer.getvalue()


class Handler(BaseHTTPRequestHandler):
    """Serves `files`; honours Range; paths under /cut/ send half the body, then hang up."""

    files: dict[str, bytes] = {}
    requests: list[dict] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        cut = self.path.startswith("/cut/")
        body = self.files.get(self.path.removeprefix("/cut"))
        Handler.requests.append({"path": self.path, "range": self.headers.get("Range")})
        if body is None:
            self.send_error(404)
            return
        start = 0
        if self.headers.get("Range") and not cut:
            start = int(self.headers["Range"].removeprefix("bytes=").rstrip("-"))
            if start >= len(body):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:len(body) // 2] if cut else body[start:])

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_verifies_a_pinned_digest(server, tmp_path):
    Handler.files["/good.bin"] = PAYLOAD
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    path = dl.fetch(f"{server}/good.bin", tmp_path / "good.bin", sha256=digest, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert not (tmp_path / "good.bin.part").exists()


def test_fetch_rejects_a_wrong_digest_and_deletes_it(server, tmp_path):
    Handler.files["/good.bin"] = PAYLOAD
    with pytest.raises(ZcpharError, match="SHA-256 mismatch"):
        dl.fetch(f"{server}/good.bin", tmp_path / "x.bin", sha256="0" * 64, progress=False)
    assert not (tmp_path / "x.bin").exists() and not (tmp_path / "x.bin.part").exists()


def test_truncated_download_is_resumed_with_a_range_request(server, tmp_path):
    Handler.files["/big.bin"] = PAYLOAD
    dest = tmp_path / "big.bin"
    with pytest.raises(ZcpharError, match="resume"):
        dl.fetch(f"{server}/cut/big.bin", dest, progress=False)
    kept = (tmp_path / "big.bin.part").stat().st_size
    assert 0 < kept < len(PAYLOAD)
    Handler.requests.clear()
    dl.fetch(f"{server}/big.bin", dest, sha256=hashlib.sha256(PAYLOAD).hexdigest(),
             progress=False)
    assert Handler.requests == [{"path": "/big.bin", "range": f"bytes={kept}-"}]
    assert dest.read_bytes() == PAYLOAD


def test_complete_part_file_is_finished_without_refetching(server, tmp_path):
    Handler.files["/done.bin"] = PAYLOAD
    (tmp_path / "done.bin.part").write_bytes(PAYLOAD)  # complete, but never renamed
    Handler.requests.clear()
    dl.fetch(f"{server}/done.bin", tmp_path / "done.bin",
             sha256=hashlib.sha256(PAYLOAD).hexdigest(), progress=False)
    assert (tmp_path / "done.bin").read_bytes() == PAYLOAD
    assert Handler.requests == [{"path": "/done.bin", "range": f"bytes={len(PAYLOAD)}-"}]


def test_served_unsafe_archives_are_not_extracted(server, tmp_path, monkeypatch):
    link = zipfile.ZipInfo("data/link")
    link.external_attr = 0o120777 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("data/ok.csv", b"1")
        z.writestr(link, b"/etc/passwd")
    Handler.files["/link.zip"] = buffer.getvalue()
    Handler.files["/up.zip"] = make_zip({"data/ok.csv": b"1", "../../up.txt": b"x"})
    for leaf, why in (("link.zip", "symbolic link"), ("up.zip", "'..' component")):
        monkeypatch.setitem(dl.SOURCES, "pamap2", dl.Source("pamap2", (f"{server}/{leaf}",),
                                                            (None,)))
        with pytest.raises(ZcpharError, match=why):
            dl.download("pamap2", to=tmp_path / leaf, progress=False, log=lambda m: None)
        assert not any((tmp_path / leaf).rglob("*"))
    assert not (tmp_path.parent / "up.txt").exists()


def test_plain_http_is_refused_except_loopback(tmp_path):
    with pytest.raises(ZcpharError, match="only https"):
        dl.fetch("http://example.org/a.zip", tmp_path / "a.zip", progress=False)
    with pytest.raises(ZcpharError, match="only https"):
        dl.fetch("ftp://example.org/a.zip", tmp_path / "a.zip", progress=False)


def test_missing_file_is_an_error_naming_the_status(server, tmp_path):
    with pytest.raises(ZcpharError, match="HTTP 404"):
        dl.fetch(f"{server}/nothing.zip", tmp_path / "n.zip", progress=False)


@pytest.mark.parametrize("name, mode, why", [
    ("../evil.txt", 0o100644, "'..' component"),
    ("ok/../../evil.txt", 0o100644, "'..' component"),
    ("/etc/evil.txt", 0o100644, "absolute path"),
    ("C:/evil.txt", 0o100644, "absolute path"),
    ("link", 0o120777, "symbolic link"),
    ("fifo", 0o010644, "device or special file"),
])
def test_unsafe_zip_members_are_refused_before_writing(tmp_path, name, mode, why):
    archive = tmp_path / "bad.zip"
    good = make_zip({"first.txt": b"fine"})
    archive.write_bytes(good)
    with zipfile.ZipFile(archive, "a") as z:  # a harmless member first, then the bad one
        info = zipfile.ZipInfo(name)
        info.external_attr = mode << 16
        z.writestr(info, b"/etc/passwd")
    with pytest.raises(ZcpharError, match=why):
        dl.safe_extract(archive, tmp_path / "out")
    assert not any((tmp_path / "out").rglob("*")), "nothing may be written"
    assert not (tmp_path / "evil.txt").exists()


def _tar_with(member: tarfile.TarInfo, blob: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        ok = tarfile.TarInfo("first.txt")
        ok.size = 4
        tar.addfile(ok, io.BytesIO(b"fine"))
        tar.addfile(member, io.BytesIO(blob) if blob else None)
    return buffer.getvalue()


def _member(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


@pytest.mark.parametrize("member, why", [
    (_member("../evil.txt", tarfile.REGTYPE), "'..' component"),
    (_member("/tmp/evil.txt", tarfile.REGTYPE), "absolute path"),
    (_member("link", tarfile.SYMTYPE, "/etc/passwd"), "symbolic or hard link"),
    (_member("hard", tarfile.LNKTYPE, "first.txt"), "symbolic or hard link"),
    (_member("dev", tarfile.CHRTYPE), "device or special file"),
    (_member("fifo", tarfile.FIFOTYPE), "device or special file"),
])
def test_unsafe_tar_members_are_refused_before_writing(tmp_path, member, why):
    archive = tmp_path / "bad.tar.gz"
    archive.write_bytes(_tar_with(member))
    with pytest.raises(ZcpharError, match=why):
        dl.safe_extract(archive, tmp_path / "out")
    assert not any((tmp_path / "out").rglob("*"))


def test_good_tar_and_nested_zip_are_extracted(tmp_path):
    inner = make_zip({"PAMAP2_Dataset/Protocol/subject101.dat": b"1 2 3\n"})
    outer = tmp_path / "outer.zip"
    outer.write_bytes(make_zip({"readme.pdf": b"%PDF", "PAMAP2_Dataset.zip": inner,
                                "__MACOSX/._readme.pdf": b"junk"}))
    out = dl.safe_extract(outer, tmp_path / "out", nested=("PAMAP2_Dataset.zip",))
    assert (out / "PAMAP2_Dataset/Protocol/subject101.dat").read_bytes() == b"1 2 3\n"
    assert not (out / "PAMAP2_Dataset.zip").exists() and not (out / "__MACOSX").exists()
    member = tarfile.TarInfo("data/a.txt")
    member.size = 5
    tgz = tmp_path / "good.tgz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.addfile(member, io.BytesIO(b"hello"))
    tgz.write_bytes(buffer.getvalue())
    assert (dl.safe_extract(tgz, tmp_path / "t") / "data/a.txt").read_bytes() == b"hello"


def test_download_records_an_unknown_digest_and_extracts(server, tmp_path, monkeypatch):
    blob = make_zip({"B_Accelerometer_data/dws_1/sub_1.csv": b",x,y,z\n0,1,2,3\n"})
    Handler.files["/ms.zip"] = blob
    source = dl.Source("motionsense", (f"{server}/ms.zip",), (None,))
    monkeypatch.setitem(dl.SOURCES, "motionsense", source)
    messages: list[str] = []
    target = dl.download("motionsense", to=tmp_path / "ms", progress=False, log=messages.append)
    assert (target / "B_Accelerometer_data/dws_1/sub_1.csv").exists()
    digest = hashlib.sha256(blob).hexdigest()
    assert any(digest in m for m in messages)
    from zcphar.paths import home

    record = json.loads((home() / "downloads" / "motionsense-ms.zip.sha256.json").read_text())
    assert record == {"origin": f"{server}/ms.zip", "sha256": digest, "bytes": len(blob),
                      "pinned": False}


def test_download_with_a_wrong_pinned_digest_extracts_nothing(server, tmp_path, monkeypatch):
    Handler.files["/ms2.zip"] = make_zip({"a.csv": b"1"})
    monkeypatch.setitem(dl.SOURCES, "motionsense",
                        dl.Source("motionsense", (f"{server}/ms2.zip",), ("f" * 64,)))
    with pytest.raises(ZcpharError, match="SHA-256 mismatch"):
        dl.download("motionsense", to=tmp_path / "x", progress=False, log=lambda m: None)
    assert not (tmp_path / "x").exists()


def test_cli_download_from_a_traversal_archive_fails_cleanly(tmp_path, capsys):
    bad = tmp_path / "MobiAct.zip"
    bad.write_bytes(make_zip({"../../escape.txt": b"x"}))
    assert main(["download", "mobiact", "--from", str(bad), "--to", str(tmp_path / "m")]) == 2
    assert "unsafe archive member" in capsys.readouterr().err
    assert not (tmp_path.parent / "escape.txt").exists()


def test_cli_registration_dataset_without_from_says_where_to_get_it(capsys):
    assert main(["download", "mobiact"]) == 2
    assert "bmi.hmu.gr" in capsys.readouterr().err
    assert main(["download", "pamap"]) == 2
    err = capsys.readouterr().err
    assert "unknown downloadable dataset 'pamap'" in err and "pamap2" in err
