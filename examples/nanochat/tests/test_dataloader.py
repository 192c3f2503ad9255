import itertools
import json

import torch


def take(loader, n):
    return [(x.clone(), y.clone(), epoch) for x, y, epoch in itertools.islice(loader, n)]


def test_rows_start_with_bos_and_targets_are_shifted_inputs(prepared, tokenizer):
    T = prepared.MAX_SEQ_LEN
    loader = prepared.make_dataloader(tokenizer, 8, T, "train", device="cpu")
    for inputs, targets, epoch in take(loader, 20):
        assert inputs.shape == targets.shape == (8, T)
        assert inputs.dtype == targets.dtype == torch.long
        assert inputs.is_contiguous() and targets.is_contiguous()
        assert (inputs[:, 0] == tokenizer.bos_token_id).all()
        assert torch.equal(targets[:, :-1], inputs[:, 1:])
        assert int(targets.min()) >= 0 and int(targets.max()) < tokenizer.vocab_size
        assert epoch >= 1


def test_packing_places_whole_documents_and_crops_only_to_fill(prepared, tokenizer):
    T = prepared.MAX_SEQ_LEN
    bos = tokenizer.bos_token_id
    for row, _ in itertools.islice(prepared.pack_rows(tokenizer, T, "train"), 200):
        assert len(row) == T + 1 and row[0] == bos
        starts = [i for i, token in enumerate(row) if token == bos]
        # every document but the last one in a row is placed whole, so it decodes without a cut
        for start, end in zip(starts, starts[1:]):
            assert end - start >= 2


def test_row_sequence_does_not_depend_on_batch_size(prepared, tokenizer):
    T = prepared.MAX_SEQ_LEN
    sequences = []
    for B in (2, 4, 8):
        batches = take(prepared.make_dataloader(tokenizer, B, T, "val", device="cpu"), 16 // B)
        sequences.append(torch.cat([x for x, _, _ in batches]))
    assert torch.equal(sequences[0], sequences[1])
    assert torch.equal(sequences[0], sequences[2])


def test_fresh_validation_loaders_are_identical(prepared, tokenizer):
    T = prepared.MAX_SEQ_LEN
    first = take(prepared.make_dataloader(tokenizer, 4, T, "val", device="cpu"), 5)
    second = take(prepared.make_dataloader(tokenizer, 4, T, "val", device="cpu"), 5)
    for (x1, y1, _), (x2, y2, _) in zip(first, second):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_splits_pin_the_validation_shard(prepared):
    train = prepared.split_files("train")
    val = prepared.split_files("val")
    assert [p.name.split(".")[0] for p in val] == [prepared.shard_name(prepared.VAL_SHARD, "")]
    assert val[0] not in train and len(train) == prepared.DEFAULT_NUM_SHARDS
    assert [p.name for p in train] == sorted(p.name for p in train)


def test_jsonl_shards_read_like_parquet(prepared, tmp_path):
    documents = [f"document {i} é 数据" for i in range(2500)]
    path = tmp_path / "shard_00000.jsonl"
    path.write_text("".join(json.dumps({"text": d}, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    groups = list(prepared.read_row_groups(path))
    assert [len(g) for g in groups] == [1024, 1024, 452]
    assert sum(groups, []) == documents


def test_training_stream_cycles_with_increasing_epoch(prepared):
    stream = list(itertools.islice(prepared.iterate_documents("train"), 200))
    first_epoch = [documents for documents, epoch in stream if epoch == 1]
    second_epoch = [documents for documents, epoch in stream if epoch == 2]
    assert sum(len(d) for d in first_epoch) == 4 * 256  # every training document once, the validation shard never
    assert all(len(d) <= 128 for d in first_epoch)
    assert second_epoch[: len(first_epoch)] == first_epoch  # same order again
    assert stream[2 * len(first_epoch)][1] == 3
