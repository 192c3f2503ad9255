import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class FlakyShardServer:
    """Serves shards on 127.0.0.1; each file fails first with HTTP 500, then with a truncated body, then works."""

    def __init__(self, files: dict[str, bytes], failures: int = 2):
        self.files = files
        self.failures = failures
        self.requests: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                name = self.path.rsplit("/", 1)[-1]
                count = server.requests[name] = server.requests.get(name, 0) + 1
                body = server.files.get(name)
                if body is None:
                    self.send_error(404)
                elif count == 1 and server.failures >= 1:
                    self.send_error(500)
                elif count == 2 and server.failures >= 2:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                else:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/resolve/main"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def shard_files(prepared):
    # bodies of a few MiB, so a download spans several of the 1 MiB chunks it is written in
    generator = random.Random(7)
    return {
        prepared.shard_name(i): generator.randbytes((2 << 20) + 12345 * (k + 1))
        for k, i in enumerate((0, 1, prepared.VAL_SHARD))
    }


def test_download_retries_until_the_shard_is_complete(prepared, shard_files, tmp_path):
    with FlakyShardServer(shard_files) as server:
        ready = prepared.download_data(num_shards=2, workers=2, data_dir=tmp_path, base_url=server.url, backoff_base=0.001)
    assert ready == 3
    assert server.requests == {name: 3 for name in shard_files}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(shard_files)  # no .tmp left behind
    for name, body in shard_files.items():
        assert (tmp_path / name).read_bytes() == body
    # the downloaded shards are readable in the same order as the originals
    assert [p.name for p in prepared.split_files("train", tmp_path)] == sorted(shard_files)[:2]


def test_present_shards_are_not_downloaded_again(prepared, shard_files, tmp_path):
    with FlakyShardServer(shard_files, failures=0) as server:
        assert prepared.download_data(num_shards=2, data_dir=tmp_path, base_url=server.url) == 3
        assert prepared.download_data(num_shards=2, data_dir=tmp_path, base_url=server.url) == 3
    assert server.requests == {name: 1 for name in shard_files}


def test_a_shard_that_never_arrives_leaves_no_partial_file(prepared, tmp_path):
    with FlakyShardServer({}) as server:
        ok = prepared.download_shard(3, tmp_path, server.url, attempts=3, backoff_base=0.001)
    assert ok is False
    assert server.requests == {prepared.shard_name(3): 3}
    assert list(tmp_path.iterdir()) == []
