import pytest

SAMPLES = [
    "Hello world! 12345 naïve café, 数据 学习 🙂\n\tdone.",
    "The river and the stone... 2026-11-28: résumé; Zürich? mañana!",
    "   leading spaces\r\n\r\ntrailing   ",
    "<|reserved_0|> is plain text here",
    "",
]


def test_vocabulary_layout(prepared, tokenizer):
    assert tokenizer.get_vocab_size() == prepared.VOCAB_SIZE == 512
    assert tokenizer.get_bos_token_id() == 512 - 4
    lengths = tokenizer.token_byte_lengths()
    assert len(lengths) == 512
    assert lengths[:256] == [1] * 256  # raw bytes: the high single bytes count 1, not 3
    assert lengths[-4:] == [0, 0, 0, 0]
    assert min(lengths[256:508]) >= 2


@pytest.mark.parametrize("text", SAMPLES)
def test_round_trip_and_byte_lengths(tokenizer, prepared, text):
    ids = tokenizer.encode(text)
    assert tokenizer.decode(ids) == text
    token_bytes = prepared.get_token_bytes("cpu")
    assert sum(int(token_bytes[i]) for i in ids) == len(text.encode("utf-8"))


def test_special_token_strings_are_ordinary_text(tokenizer):
    assert tokenizer.bos_token_id not in tokenizer.encode("<|reserved_0|>")


def test_prepend_and_batch(tokenizer):
    batch = tokenizer.encode(SAMPLES, prepend="<|reserved_0|>")
    assert [ids[0] for ids in batch] == [tokenizer.bos_token_id] * len(SAMPLES)
    assert [ids[1:] for ids in batch] == [tokenizer.encode(s) for s in SAMPLES]
    assert tokenizer.encode("abc", prepend=tokenizer.bos_token_id)[0] == tokenizer.bos_token_id


def test_pure_python_backend_matches_tiktoken(prepared, tokenizer):
    pytest.importorskip("tiktoken")
    fallback = prepared.Tokenizer.from_directory(backend="python")
    assert fallback.backend == "python" and tokenizer.backend == "tiktoken"
    for text in SAMPLES:
        assert fallback.encode(text) == tokenizer.encode(text)
    assert fallback.token_byte_lengths() == tokenizer.token_byte_lengths()


def test_python_trainer_merges_most_frequent_pair_first(prepared):
    # chunks "ab", " ab", " abc", " abc": (a, b) occurs 4 times, then (" ", ab) 3 times, then (ab, c) twice
    ranks = prepared.train_bpe_python(["ab ab abc abc"], num_merges=3)
    assert [token for token, rank in sorted(ranks.items(), key=lambda kv: kv[1])][256:] == [b"ab", b" ab", b" abc"]


def test_python_trainer_breaks_ties_by_smallest_pair(prepared):
    # chunks "ab" and " cd": three pairs seen once each; (" ", "c") has the smallest ids
    ranks = prepared.train_bpe_python(["ab cd"], num_merges=1)
    assert ranks[b" c"] == 256


def test_python_trainer_reports_a_corpus_too_small(prepared):
    with pytest.raises(ValueError, match="corpus too small"):
        prepared.train_bpe_python(["ab"], num_merges=5)
