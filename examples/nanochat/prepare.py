"""
Fixed part of the nanochat research target: constants, data, tokenizer, dataloader and the metric.

The proposer never edits this file. `train.py` imports from it:

    from prepare import MAX_SEQ_LEN, TIME_BUDGET, PROFILE, Tokenizer, make_dataloader, evaluate_bpb

One-time preparation (download shards, train the tokenizer):

    python prepare.py                  # official profile: 10 training shards + the validation shard
    python prepare.py --num-shards 20  # more data, no repetition within a 5-minute run
    python prepare.py --synthetic      # offline machines: generate a corpus locally instead of downloading
    AUTORESEARCH_PROFILE=smoke python prepare.py   # tiny CPU profile, generated data, no network

Environment variables (read once, at import):

    AUTORESEARCH_PROFILE        official (default) or smoke
    AUTORESEARCH_CACHE_DIR      cache root (default ~/.cache/autoresearch-nanochat); each profile uses its own sub-folder
    AUTORESEARCH_BASE_URL       where shards are downloaded from
    AUTORESEARCH_BACKOFF_BASE   seconds; attempt k sleeps BASE**k after a failure (default 2: 2, 4, 8, 16 s)
    AUTORESEARCH_TIME_BUDGET    seconds of counted training; for hardware checks and tests only, never for comparisons

Training-only packages (torch, pyarrow, tiktoken, regex, rustbpe) are imported inside the functions that need them,
so the download step runs on a bare Python.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import itertools
import json
import math
import os
import pickle
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# ---------------------------------------------------------------------------------------------------------------------
# Profiles and fixed constants

PROFILE = os.environ.get("AUTORESEARCH_PROFILE", "official").strip() or "official"

_PROFILES = {
    "official": {
        "MAX_SEQ_LEN": 2048,
        "TIME_BUDGET": 300,
        "EVAL_TOKENS": 40 * 524_288,
        "VOCAB_SIZE": 8192,
        "MAX_SHARD": 6542,
        "VAL_SHARD": 6542,
        "DEFAULT_NUM_SHARDS": 10,
        "TOKENIZER_MAX_CHARS": 1_000_000_000,
        "TOKENIZER_DOC_CAP": 10_000,
        # only used by --synthetic (offline hardware checks)
        "SYNTHETIC_DOCS_PER_SHARD": 24_576,
        "SYNTHETIC_ROW_GROUP": 1024,
        "SYNTHETIC_WORDS": 40_000,
    },
    "smoke": {
        "MAX_SEQ_LEN": 64,
        "TIME_BUDGET": 5,
        "EVAL_TOKENS": 8192,
        "VOCAB_SIZE": 512,
        "MAX_SHARD": 4,
        "VAL_SHARD": 4,
        "DEFAULT_NUM_SHARDS": 4,
        "TOKENIZER_MAX_CHARS": 3_000_000,
        "TOKENIZER_DOC_CAP": 10_000,
        "SYNTHETIC_DOCS_PER_SHARD": 256,
        "SYNTHETIC_ROW_GROUP": 64,
        "SYNTHETIC_WORDS": 300,
    },
}
if PROFILE not in _PROFILES:
    raise SystemExit(f"AUTORESEARCH_PROFILE must be one of {sorted(_PROFILES)}, got {PROFILE!r}")
_P = _PROFILES[PROFILE]

MAX_SEQ_LEN = _P["MAX_SEQ_LEN"]  # context length of the dataloader and of evaluation
TIME_BUDGET = _P["TIME_BUDGET"]  # seconds of counted training time
if os.environ.get("AUTORESEARCH_TIME_BUDGET"):
    TIME_BUDGET = float(os.environ["AUTORESEARCH_TIME_BUDGET"])
EVAL_TOKENS = _P["EVAL_TOKENS"]  # target positions scored by evaluate_bpb
VOCAB_SIZE = _P["VOCAB_SIZE"]  # including the special tokens
MAX_SHARD = _P["MAX_SHARD"]  # last shard index
VAL_SHARD = _P["VAL_SHARD"]  # the validation shard, pinned by index
DEFAULT_NUM_SHARDS = _P["DEFAULT_NUM_SHARDS"]
TOKENIZER_MAX_CHARS = _P["TOKENIZER_MAX_CHARS"]
TOKENIZER_DOC_CAP = _P["TOKENIZER_DOC_CAP"]

SPECIAL_TOKENS = ["<|reserved_0|>", "<|reserved_1|>", "<|reserved_2|>", "<|reserved_3|>"]
BOS_TOKEN = SPECIAL_TOKENS[0]
# GPT-4's pre-split pattern with digit runs of at most two.
SPLIT_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,2}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
)
DOC_BATCH = 128  # documents tokenized per batched encode call in the dataloader

CACHE_ROOT = Path(os.environ.get("AUTORESEARCH_CACHE_DIR") or Path.home() / ".cache" / "autoresearch-nanochat")
# Each profile has its own folder, so smoke data can never leak into official runs.
CACHE_DIR = CACHE_ROOT / PROFILE
DATA_DIR = CACHE_DIR / "data"
TOKENIZER_DIR = CACHE_DIR / "tokenizer"

BASE_URL = os.environ.get(
    "AUTORESEARCH_BASE_URL", "https://huggingface.co/datasets/karpathy/climbmix-400b-shuffle/resolve/main"
).rstrip("/")
BACKOFF_BASE = float(os.environ.get("AUTORESEARCH_BACKOFF_BASE", "2"))
DOWNLOAD_ATTEMPTS = 5
DOWNLOAD_TIMEOUT = 30
CHUNK_BYTES = 1 << 20

SHARD_EXTENSIONS = (".parquet", ".jsonl")


def shard_name(index: int, extension: str = ".parquet") -> str:
    return f"shard_{index:05d}{extension}"


# ---------------------------------------------------------------------------------------------------------------------
# Download


def download_shard(
    index: int,
    data_dir: Path = DATA_DIR,
    base_url: str = BASE_URL,
    attempts: int = DOWNLOAD_ATTEMPTS,
    backoff_base: float = BACKOFF_BASE,
) -> bool:
    """Fetch one shard into `data_dir`, writing `<name>.tmp` and renaming it only once it is complete."""
    import urllib.request

    name = shard_name(index)
    final = Path(data_dir) / name
    if final.exists():
        return True
    temporary = final.with_name(name + ".tmp")
    url = f"{base_url}/{name}"
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
                expected = response.headers.get("Content-Length")
                received = 0
                with open(temporary, "wb") as handle:
                    while chunk := response.read(CHUNK_BYTES):
                        handle.write(chunk)
                        received += len(chunk)
            # A connection closed early can look like a clean end of stream; the length says otherwise.
            if expected is not None and received != int(expected):
                raise OSError(f"truncated body: got {received} of {expected} bytes")
            os.replace(temporary, final)
            return True
        except Exception as error:  # noqa: BLE001 - any network or disk failure is retried the same way
            for path in (temporary, final):
                path.unlink(missing_ok=True)
            print(f"shard {name}: attempt {attempt}/{attempts} failed: {error}", file=sys.stderr)
            if attempt < attempts:
                time.sleep(backoff_base**attempt)
    return False


def download_data(
    num_shards: int = DEFAULT_NUM_SHARDS,
    workers: int = 8,
    data_dir: Path = DATA_DIR,
    base_url: str = BASE_URL,
    backoff_base: float = BACKOFF_BASE,
) -> int:
    """Download training shards 0..num_shards-1 plus the pinned validation shard. Returns how many are present."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    count = MAX_SHARD if num_shards == -1 else min(num_shards, MAX_SHARD)
    indices = list(range(count))
    if VAL_SHARD not in indices:
        indices.append(VAL_SHARD)
    missing = [i for i in indices if not (data_dir / shard_name(i)).exists()]
    if not missing:
        print(f"all {len(indices)} shards already present in {data_dir}")
        return len(indices)
    print(f"downloading {len(missing)} shard(s) to {data_dir} with {max(1, min(workers, len(missing)))} worker(s)")
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(missing)))) as pool:
        list(pool.map(lambda i: download_shard(i, data_dir, base_url, DOWNLOAD_ATTEMPTS, backoff_base), missing))
    ready = sum((data_dir / shard_name(i)).exists() for i in indices)
    print(f"{ready}/{len(indices)} shards ready")
    return ready


# ---------------------------------------------------------------------------------------------------------------------
# Shard files


def list_shards(data_dir: Path = DATA_DIR) -> list[Path]:
    """Every complete shard, sorted by name (never the `.tmp` files of an interrupted download)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    return sorted(p for p in data_dir.iterdir() if p.name.endswith(SHARD_EXTENSIONS))


def split_files(split: str, data_dir: Path = DATA_DIR) -> list[Path]:
    """The validation split is the pinned shard; the training split is every other shard."""
    assert split in ("train", "val"), split
    files = list_shards(data_dir)
    val_stem = shard_name(VAL_SHARD, "")
    if split == "val":
        return [p for p in files if p.name.split(".")[0] == val_stem][:1]
    return [p for p in files if p.name.split(".")[0] != val_stem]


def read_row_groups(path: Path):
    """Yield the documents of one shard, one row group (list of strings) at a time."""
    path = Path(path)
    if path.suffix == ".jsonl":
        group = []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    group.append(json.loads(line)["text"])
                if len(group) == 1024:
                    yield group
                    group = []
        if group:
            yield group
        return
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    for index in range(parquet.num_row_groups):
        yield parquet.read_row_group(index, columns=["text"]).column("text").to_pylist()


def write_shard(path: Path, documents: list[str], row_group: int) -> Path:
    """Write documents in the shard format (Parquet with a `text` column; JSONL when pyarrow is missing), atomically."""
    path = Path(path)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        path = path.with_suffix(".jsonl")
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            for document in documents:
                handle.write(json.dumps({"text": document}, ensure_ascii=False) + "\n")
    else:
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        table = pa.table({"text": pa.array(documents, type=pa.string())})
        pq.write_table(
            table, temporary, row_group_size=row_group, compression="zstd", use_dictionary=False, write_statistics=False
        )
    os.replace(temporary, path)
    return path


def iterate_documents(split: str, data_dir: Path = DATA_DIR, batch: int = DOC_BATCH):
    """Infinite, deterministic stream of (documents, epoch): files in order, row groups in order, no shuffling."""
    files = split_files(split, data_dir)
    assert files, f"no {split} shard in {data_dir}: run `python prepare.py` first"
    epoch = 1
    while True:
        for path in files:
            for group in read_row_groups(path):
                for start in range(0, len(group), batch):
                    yield group[start : start + batch], epoch
        epoch += 1


# ---------------------------------------------------------------------------------------------------------------------
# Synthetic corpus (smoke profile, offline machines)

_SMOKE_WORDS = (
    "the of and to in is was that for on with as by at from his her they this which be or are an had not but were "
    "have one all their there when who would what been more into time some only could other than then its two now "
    "over like new after first most made years about many through where much before way well people after down "
    "water river stone garden market window morning evening winter summer village station letter history number "
    "light music paper table record machine engine signal measure system model value result method theory sample "
    "quickly slowly carefully together between during against without within around under above below behind "
    "red green blue yellow small large early late bright quiet simple careful"
).split()
_SMOKE_EXTRAS = ["café", "naïve", "résumé", "数据", "学习", "模型", "東京", "😀", "🙂", "Zürich", "mañana"]


def _pseudo_words(rng: random.Random, count: int) -> list[str]:
    """Distinct made-up words from syllables: enough variety for an 8K-vocab tokenizer to find merges."""
    onsets = ["", "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "st", "tr", "ch", "sh"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"]
    codas = ["", "n", "r", "s", "t", "l", "m", "nd", "st", "ng"]
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(rng.randint(1, 4))))
    return sorted(words)


_SUFFIXES = ["", ".", "!", "?", ".\n", ",", ";", ":"]
_SUFFIX_WEIGHTS = [0.88, 0.045, 0.0075, 0.0075, 0.02, 0.025, 0.0075, 0.0075]
_SENTENCE_ENDS = {".", "!", "?", ".\n"}


def synthetic_documents(count: int, seed: int, vocabulary_size: int) -> list[str]:
    """Seeded word salad with a Zipf-like word distribution, numbers, punctuation, newlines and non-ASCII text.

    Lengths are spread widely (a few words to several hundred) so that packing both fits whole documents and crops
    documents longer than a row.
    """
    rng = random.Random(seed)
    vocabulary = list(_SMOKE_WORDS)
    if vocabulary_size > len(vocabulary):
        vocabulary += _pseudo_words(random.Random(1234), vocabulary_size - len(vocabulary))
    # cumulative weights once: passing plain weights would re-sum the whole vocabulary on every call
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(vocabulary))))
    documents = []
    for _ in range(count):
        n_words = int(math.exp(rng.uniform(math.log(3), math.log(600))))
        words = rng.choices(vocabulary, cum_weights=cumulative, k=n_words)
        swaps = rng.choices((0, 1, 2), weights=(0.96, 0.03, 0.01), k=n_words)  # keep, a number, a non-ASCII word
        suffixes = rng.choices(_SUFFIXES, weights=_SUFFIX_WEIGHTS, k=n_words)
        pieces = []
        capitalize = True
        for word, swap, suffix in zip(words, swaps, suffixes):
            if swap:
                word = str(rng.randrange(100_000)) if swap == 1 else rng.choice(_SMOKE_EXTRAS)
            if capitalize:
                word = word[:1].upper() + word[1:]
            pieces.append(word + suffix)
            capitalize = suffix in _SENTENCE_ENDS
        documents.append(" ".join(pieces).replace("\n ", "\n"))
    return documents


def generate_synthetic_data(data_dir: Path = DATA_DIR, num_train_shards: int | None = None) -> list[Path]:
    """Write a generated corpus in the shard format: training shards 0..n-1 and the pinned validation shard."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    n_train = DEFAULT_NUM_SHARDS if num_train_shards is None else num_train_shards
    written = []
    for index in [*range(n_train), VAL_SHARD]:
        if any((data_dir / shard_name(index, ext)).exists() for ext in SHARD_EXTENSIONS):
            continue
        documents = synthetic_documents(_P["SYNTHETIC_DOCS_PER_SHARD"], seed=index, vocabulary_size=_P["SYNTHETIC_WORDS"])
        written.append(write_shard(data_dir / shard_name(index), documents, _P["SYNTHETIC_ROW_GROUP"]))
    return written


# ---------------------------------------------------------------------------------------------------------------------
# Tokenizer training


def tokenizer_training_text(data_dir: Path = DATA_DIR, max_chars: int = TOKENIZER_MAX_CHARS, doc_cap: int = TOKENIZER_DOC_CAP):
    """Training shards only, in order, each document cut to `doc_cap` characters, until `max_chars` are seen."""
    total = 0
    for path in split_files("train", data_dir):
        for group in read_row_groups(path):
            for document in group:
                document = document[:doc_cap]
                yield document
                total += len(document)
                if total >= max_chars:
                    return


def train_bpe_python(texts, num_merges: int, pattern: str = SPLIT_PATTERN) -> dict[bytes, int]:
    """Byte-level BPE in pure Python: pre-split with the regex, count unique chunks, merge the most frequent pair.

    Ties go to the smallest pair of ids, so the result is deterministic. Returns the `bytes -> rank` table:
    ranks 0..255 are the single bytes, then one rank per merge.
    """
    import regex

    splitter = regex.compile(pattern)
    chunk_counts: Counter[str] = Counter()
    for text in texts:
        chunk_counts.update(splitter.findall(text))
    words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
    counts = list(chunk_counts.values())

    vocabulary = [bytes([b]) for b in range(256)]
    rank_of = {token: rank for rank, token in enumerate(vocabulary)}
    pair_counts: Counter[tuple[int, int]] = Counter()
    where: dict[tuple[int, int], set[int]] = {}
    for index, (word, count) in enumerate(zip(words, counts)):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += count
            where.setdefault(pair, set()).add(index)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)

    target = 256 + num_merges
    while len(vocabulary) < target:
        pair = None
        while heap:
            negative, candidate = heapq.heappop(heap)
            if pair_counts.get(candidate, 0) == -negative and -negative > 0:
                pair = candidate
                break
        if pair is None:
            raise ValueError(f"corpus too small: only {len(vocabulary) - 256} of {num_merges} merges found")
        merged = vocabulary[pair[0]] + vocabulary[pair[1]]
        # Two different pairs can spell the same bytes; the rank table needs each byte string once.
        new_id = rank_of.get(merged)
        if new_id is None:
            new_id = len(vocabulary)
            vocabulary.append(merged)
            rank_of[merged] = new_id
        changed: set[tuple[int, int]] = set()
        for index in where.pop(pair, ()):
            word, count = words[index], counts[index]
            for old in zip(word, word[1:]):
                pair_counts[old] -= count
                changed.add(old)
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
                    out.append(new_id)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            words[index] = out
            for new in zip(out, out[1:]):
                pair_counts[new] += count
                changed.add(new)
                where.setdefault(new, set()).add(index)
        pair_counts.pop(pair, None)
        changed.discard(pair)
        for candidate in changed:
            count = pair_counts.get(candidate, 0)
            if count > 0:
                heapq.heappush(heap, (-count, candidate))
            else:
                pair_counts.pop(candidate, None)
    return rank_of


def _train_ranks(texts, num_merges: int) -> tuple[dict[bytes, int], str]:
    try:
        import rustbpe
    except ImportError:
        rustbpe = None
    if rustbpe is not None:
        try:
            trainer = rustbpe.Tokenizer()
            trainer.train_from_iterator(texts, 256 + num_merges, pattern=SPLIT_PATTERN)
            return {bytes(token): rank for token, rank in trainer.get_mergeable_ranks()}, "rustbpe"
        except Exception as error:  # noqa: BLE001 - an incompatible rustbpe must not block preparation
            print(f"rustbpe failed ({error}); using the pure-Python trainer", file=sys.stderr)
    return train_bpe_python(texts, num_merges), "python"


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def train_tokenizer(data_dir: Path = DATA_DIR, tokenizer_dir: Path = TOKENIZER_DIR, force: bool = False) -> Path:
    """Train the BPE tokenizer on the training shards and write its artifacts. Skips when they already exist."""
    tokenizer_dir = Path(tokenizer_dir)
    artifacts = [tokenizer_dir / "tokenizer.json", tokenizer_dir / "token_bytes.pt"]
    if not force and all(p.exists() for p in artifacts):
        print(f"tokenizer already trained in {tokenizer_dir}")
        return tokenizer_dir
    files = list_shards(data_dir)
    if len(files) < 2 or not split_files("val", data_dir):
        raise SystemExit(f"need at least one training shard and the validation shard in {data_dir}; found {len(files)}")
    num_merges = VOCAB_SIZE - len(SPECIAL_TOKENS) - 256
    started = time.time()
    ranks, trainer = _train_ranks(tokenizer_training_text(data_dir), num_merges)
    print(f"trained a {len(ranks)}-token BPE with {trainer} in {time.time() - started:.1f}s")

    tokenizer_dir.mkdir(parents=True, exist_ok=True)
    specials = {name: len(ranks) + i for i, name in enumerate(SPECIAL_TOKENS)}
    tokenizer = Tokenizer(ranks, specials, SPLIT_PATTERN)
    sample = "Hello world! 12345 naïve café, 数据 学习 🙂\n\tdone."
    assert tokenizer.decode(tokenizer.encode(sample)) == sample, "tokenizer round trip failed"

    # Version-neutral form first: any backend (tiktoken or pure Python) can be rebuilt from it.
    neutral = {
        "pattern": SPLIT_PATTERN,
        "mergeable_ranks": [[token.hex(), rank] for token, rank in sorted(ranks.items(), key=lambda kv: kv[1])],
        "special_tokens": specials,
        "trainer": trainer,
    }
    if tokenizer.backend == "tiktoken":
        _atomic_write_bytes(tokenizer_dir / "tokenizer.pkl", pickle.dumps(tokenizer.encoding))
    import torch

    token_bytes = torch.tensor(tokenizer.token_byte_lengths(), dtype=torch.int32)
    temporary = tokenizer_dir / f"token_bytes.pt.{os.getpid()}.tmp"
    torch.save(token_bytes, temporary)
    os.replace(temporary, tokenizer_dir / "token_bytes.pt")
    # Written last: its presence marks a complete tokenizer.
    _atomic_write_bytes(tokenizer_dir / "tokenizer.json", json.dumps(neutral).encode("utf-8"))
    return tokenizer_dir


# ---------------------------------------------------------------------------------------------------------------------
# Tokenizer runtime


class _PythonBPE:
    """Pure-Python stand-in for `tiktoken.Encoding` (same merge rule: lowest-ranked adjacent pair first)."""

    def __init__(self, ranks: dict[bytes, int], pattern: str):
        import regex

        self.ranks = ranks
        self.splitter = regex.compile(pattern)
        self.decoder = {rank: token for token, rank in ranks.items()}
        self.cache: dict[str, list[int]] = {}

    def _encode_chunk(self, chunk: str) -> list[int]:
        cached = self.cache.get(chunk)
        if cached is not None:
            return cached
        parts = [bytes([b]) for b in chunk.encode("utf-8")]
        while len(parts) > 1:
            best_rank, best_index = None, -1
            for i in range(len(parts) - 1):
                rank = self.ranks.get(parts[i] + parts[i + 1])
                if rank is not None and (best_rank is None or rank < best_rank):
                    best_rank, best_index = rank, i
            if best_rank is None:
                break
            parts[best_index : best_index + 2] = [parts[best_index] + parts[best_index + 1]]
        ids = [self.ranks[p] for p in parts]
        if len(self.cache) < 200_000:
            self.cache[chunk] = ids
        return ids

    def encode_ordinary(self, text: str) -> list[int]:
        ids: list[int] = []
        for chunk in self.splitter.findall(text):
            ids.extend(self._encode_chunk(chunk))
        return ids

    def encode_ordinary_batch(self, texts: list[str], num_threads: int = 8) -> list[list[int]]:
        return [self.encode_ordinary(text) for text in texts]

    def decode_single_token_bytes(self, token: int) -> bytes:
        return self.decoder[token]


class Tokenizer:
    """Byte-level BPE with four reserved special tokens; BOS is `<|reserved_0|>`. Uses tiktoken when importable."""

    def __init__(self, ranks: dict[bytes, int], special_tokens: dict[str, int], pattern: str, backend: str = "auto"):
        self.special_tokens = dict(special_tokens)
        self.n_mergeable = len(ranks)
        encoding = None
        if backend in ("auto", "tiktoken"):
            try:
                import tiktoken
            except ImportError:
                if backend == "tiktoken":
                    raise
            else:
                encoding = tiktoken.Encoding(
                    name="rustbpe", pat_str=pattern, mergeable_ranks=ranks, special_tokens=self.special_tokens
                )
        self.encoding = encoding if encoding is not None else _PythonBPE(ranks, pattern)
        self.backend = "tiktoken" if encoding is not None else "python"
        self.vocab_size = self.n_mergeable + len(self.special_tokens)
        self.bos_token_id = self.special_tokens[BOS_TOKEN]
        self._special_by_id = {i: name for name, i in self.special_tokens.items()}

    @classmethod
    def from_directory(cls, tokenizer_dir: Path = TOKENIZER_DIR, backend: str = "auto") -> Tokenizer:
        path = Path(tokenizer_dir) / "tokenizer.json"
        if not path.exists():
            ensure_prepared()
        if not path.exists():
            raise SystemExit(f"no tokenizer in {tokenizer_dir}: run `python prepare.py` first")
        neutral = json.loads(path.read_text(encoding="utf-8"))
        ranks = {bytes.fromhex(token): rank for token, rank in neutral["mergeable_ranks"]}
        return cls(ranks, neutral["special_tokens"], neutral["pattern"], backend)

    def get_vocab_size(self) -> int:
        return self.vocab_size

    def get_bos_token_id(self) -> int:
        return self.bos_token_id

    def _prepend_id(self, prepend) -> int | None:
        if prepend is None or isinstance(prepend, int):
            return prepend
        return self.special_tokens[prepend]

    def encode(self, text, prepend=None, num_threads: int = 8):
        """Ordinary encoding (special-token strings in the text are plain text). A list of texts is encoded in batch."""
        first = self._prepend_id(prepend)
        if isinstance(text, str):
            ids = self.encoding.encode_ordinary(text)
            return ids if first is None else [first, *ids]
        batch = self.encoding.encode_ordinary_batch(list(text), num_threads=num_threads)
        if first is not None:
            for ids in batch:
                ids.insert(0, first)
        return batch

    def decode_bytes(self, ids) -> bytes:
        return b"".join(
            self._special_by_id[i].encode("utf-8") if i in self._special_by_id else self.encoding.decode_single_token_bytes(i)
            for i in ids
        )

    def decode(self, ids) -> str:
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def token_byte_lengths(self) -> list[int]:
        """Raw byte length of every token (0 for the special tokens); partial UTF-8 tokens count their real bytes."""
        lengths = [len(self.encoding.decode_single_token_bytes(i)) for i in range(self.n_mergeable)]
        return lengths + [0] * len(self.special_tokens)


def get_token_bytes(device="cpu", tokenizer_dir: Path = TOKENIZER_DIR):
    import torch

    path = Path(tokenizer_dir) / "token_bytes.pt"
    if not path.exists():
        ensure_prepared()
    return torch.load(path, map_location="cpu").to(device)


def ensure_prepared() -> None:
    """In the smoke profile, generate the corpus and train the tokenizer when missing (no network needed)."""
    if PROFILE != "smoke":
        return
    if len(split_files("train")) == 0 or not split_files("val"):
        generate_synthetic_data()
    if not (TOKENIZER_DIR / "tokenizer.json").exists() or not (TOKENIZER_DIR / "token_bytes.pt").exists():
        train_tokenizer()


# ---------------------------------------------------------------------------------------------------------------------
# Dataloader: BOS-aligned best-fit packing


def pack_rows(tokenizer: Tokenizer, T: int, split: str, buffer_size: int = 1000, data_dir: Path = DATA_DIR):
    """Infinite stream of (row, epoch): rows of T+1 tokens, each starting with a document's BOS.

    For each row: keep at least `buffer_size` documents buffered; place the longest one that fits whole; when none
    fits, crop the shortest to fill the row exactly. The row sequence does not depend on the batch size.
    """
    documents = iterate_documents(split, data_dir)
    bos = tokenizer.bos_token_id
    lengths: list[int] = []  # sorted; parallel to `buffer`
    buffer: list[list[int]] = []
    epoch = 1

    def refill() -> None:
        nonlocal epoch
        texts, epoch = next(documents)
        for ids in tokenizer.encode(texts, prepend=bos):
            position = bisect.bisect_right(lengths, len(ids))
            lengths.insert(position, len(ids))
            buffer.insert(position, ids)

    row_length = T + 1
    while True:
        row: list[int] = []
        while len(row) < row_length:
            while len(buffer) < buffer_size:
                refill()
            remaining = row_length - len(row)
            fit = bisect.bisect_right(lengths, remaining) - 1
            if fit >= 0:
                lengths.pop(fit)
                row.extend(buffer.pop(fit))
            else:
                lengths.pop(0)
                row.extend(buffer.pop(0)[:remaining])
        yield row, epoch


def make_dataloader(tokenizer: Tokenizer, B: int, T: int, split: str, buffer_size: int = 1000, device=None):
    """Infinite generator of (inputs, targets, epoch); inputs and targets are contiguous (B, T) int64 tensors.

    On CUDA the tensors are views of one device buffer that the next call overwrites (copies are stream-ordered);
    host staging alternates between two pinned buffers, each reused only after its previous copy has completed.
    """
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    on_cuda = device.type == "cuda"
    rows = pack_rows(tokenizer, T, split, buffer_size)
    if on_cuda:
        staging = [torch.empty(2 * B * T, dtype=torch.long, pin_memory=True) for _ in range(2)]
        copied = [None, None]
        device_buffer = torch.empty(2 * B * T, dtype=torch.long, device=device)
    turn = 0
    while True:
        batch, epoch = [], 1
        for _ in range(B):
            row, epoch = next(rows)
            batch.append(row)
        full = torch.tensor(batch, dtype=torch.long)
        if not on_cuda:
            yield full[:, :-1].contiguous(), full[:, 1:].contiguous(), epoch
            continue
        host = staging[turn]
        if copied[turn] is not None:
            copied[turn].synchronize()
        host[: B * T].view(B, T).copy_(full[:, :-1])
        host[B * T :].view(B, T).copy_(full[:, 1:])
        device_buffer.copy_(host, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        copied[turn] = event
        turn = 1 - turn
        yield device_buffer[: B * T].view(B, T), device_buffer[B * T :].view(B, T), epoch


# ---------------------------------------------------------------------------------------------------------------------
# The metric


def evaluate_bpb(model, tokenizer: Tokenizer, batch_size: int) -> float:
    """Validation bits per byte: summed cross-entropy (nats) over target bytes, on a fixed slice of the val shard.

    `model(inputs, targets, reduction="none")` must return per-position losses in nats. Targets that are special
    tokens (byte length 0) count in neither sum. Scores EVAL_TOKENS // (batch_size * MAX_SEQ_LEN) batches.
    """
    import torch

    device = next(model.parameters()).device
    token_bytes = get_token_bytes(device)
    steps = EVAL_TOKENS // (batch_size * MAX_SEQ_LEN)
    assert steps >= 1, f"batch size {batch_size} x {MAX_SEQ_LEN} exceeds EVAL_TOKENS={EVAL_TOKENS}"
    loader = make_dataloader(tokenizer, batch_size, MAX_SEQ_LEN, "val", device=device)
    total_nats, total_bytes = 0.0, 0
    with torch.no_grad():
        for _ in range(steps):
            inputs, targets, _ = next(loader)
            loss = model(inputs, targets, reduction="none").float().reshape(-1)
            flat = targets.reshape(-1)
            nbytes = torch.where(flat >= 0, token_bytes[flat.clamp_min(0)], torch.zeros_like(flat, dtype=token_bytes.dtype))
            mask = nbytes > 0
            total_nats += (loss * mask).sum().item()
            total_bytes += int(nbytes.sum().item())
    if total_bytes == 0:
        return float("inf")
    return total_nats / (math.log(2) * total_bytes)


# ---------------------------------------------------------------------------------------------------------------------
# CLI


def fa3_kernel_repo(capability: tuple[int, int]) -> str:
    """The Hugging Face repository of the FlashAttention-3 kernel for a GPU of this compute capability."""
    return "varunneal/flash-attention-3" if capability == (9, 0) else "kernels-community/flash-attn3"


def prefetch_attention_kernel() -> None:
    """Fetches the FlashAttention-3 kernel into the Hugging Face cache now, so that train.py finds it there: the
    research runs train.py in a sandbox without network (it reads the cache read-only, `HF_HUB_OFFLINE=1`)."""
    try:
        import torch
    except ImportError:
        return
    if not torch.cuda.is_available() or torch.cuda.get_device_capability()[0] < 8:
        return
    try:
        from kernels import get_kernel
    except ImportError:
        print("attention kernel: the `kernels` package is missing; train.py will use flex_attention")
        return
    repo = fa3_kernel_repo(torch.cuda.get_device_capability())
    try:
        get_kernel(repo)
        print(f"attention kernel: {repo} is in the Hugging Face cache")
    except Exception as error:  # noqa: BLE001 - offline machines: train.py falls back and says so
        print(f"attention kernel: could not fetch {repo} ({type(error).__name__}: {error})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Download (or generate) the data and train the tokenizer.")
    parser.add_argument("--num-shards", type=int, default=DEFAULT_NUM_SHARDS, help="training shards; -1 for all")
    parser.add_argument("--download-workers", type=int, default=8)
    parser.add_argument("--synthetic", action="store_true", help="generate a corpus locally instead of downloading")
    args = parser.parse_args(argv)
    print(f"profile: {PROFILE}; cache: {CACHE_DIR}")
    local = args.synthetic or (PROFILE == "smoke" and "AUTORESEARCH_BASE_URL" not in os.environ)
    if local:
        count = DEFAULT_NUM_SHARDS if args.num_shards == -1 else min(args.num_shards, MAX_SHARD)
        written = generate_synthetic_data(num_train_shards=count)
        print(f"generated {len(written)} synthetic shard(s) in {DATA_DIR}")
    else:
        download_data(args.num_shards, args.download_workers)
    train_tokenizer()
    if PROFILE != "smoke":
        prefetch_attention_kernel()
    return 0


if __name__ == "__main__":
    sys.exit(main())
