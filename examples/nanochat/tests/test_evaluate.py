import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class BigramModel(nn.Module):
    """Logits depend only on the current token: easy to score by hand."""

    def __init__(self, vocab_size: int):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.table = nn.Parameter(torch.randn(vocab_size, vocab_size, generator=generator))

    def forward(self, idx, targets, reduction="mean"):
        logits = self.table[idx]
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), reduction=reduction)


def eval_rows(prepared, tokenizer, batch_size):
    steps = prepared.EVAL_TOKENS // (batch_size * prepared.MAX_SEQ_LEN)
    loader = prepared.make_dataloader(tokenizer, batch_size, prepared.MAX_SEQ_LEN, "val", device="cpu")
    for _ in range(steps):
        inputs, targets, _ = next(loader)
        yield from zip(inputs.tolist(), targets.tolist())


def test_evaluate_bpb_equals_a_hand_computation(prepared, tokenizer):
    model = BigramModel(tokenizer.vocab_size)
    lengths = tokenizer.token_byte_lengths()
    log_probs = torch.log_softmax(model.table.detach().double(), dim=-1).tolist()
    nats, nbytes = 0.0, 0
    for inputs, targets in eval_rows(prepared, tokenizer, 8):
        for current, following in zip(inputs, targets):
            if lengths[following] > 0:
                nats -= log_probs[current][following]
                nbytes += lengths[following]
    expected = nats / (math.log(2) * nbytes)
    assert prepared.evaluate_bpb(model, tokenizer, 8) == __import__("pytest").approx(expected, rel=1e-5)


def test_uniform_prediction_scores_log2_vocab_per_counted_target(prepared, tokenizer):
    model = BigramModel(tokenizer.vocab_size)
    with torch.no_grad():
        model.table.zero_()
    lengths = tokenizer.token_byte_lengths()
    counted = [lengths[t] for _, targets in eval_rows(prepared, tokenizer, 16) for t in targets if lengths[t] > 0]
    bound = math.log2(tokenizer.vocab_size) * len(counted) / sum(counted)
    assert abs(prepared.evaluate_bpb(model, tokenizer, 16) - bound) < 1e-5


def test_row_initial_bos_is_never_a_target_and_inner_bos_is_not_counted(prepared, tokenizer):
    bos = tokenizer.bos_token_id
    rows = list(eval_rows(prepared, tokenizer, 8))
    assert len(rows) == prepared.EVAL_TOKENS // prepared.MAX_SEQ_LEN
    assert all(inputs[0] == bos for inputs, _ in rows)
    assert any(bos in targets for _, targets in rows)  # documents shorter than a row put BOS inside
    assert tokenizer.token_byte_lengths()[bos] == 0
