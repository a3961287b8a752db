"""PyTorch twins of nngc's translation examples, shared by
bench/translate_compare.py and test/e2e/transformer-translate.test.py.
Parameter names are the examples' (a checkpoint loads by name).

    GRUSeq2Seq:  examples/seq2seq_gru_attention.mlir
    TransformerSeq2Seq:  examples/transformer_translate.mlir

Both take (src, src_mask, tgt_in) with src_mask [B, S, 1] (1 on words) and
return logits [B, T, V]; encode() and decode() split that for decoding.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class GRUSeq2Seq(nn.Module):
    """GRU encoder over packed sources, GRU decoder from its final state,
    Luong's general attention with the source mask, tanh(W [ctx; dec])."""

    def __init__(self, SV=1300, TV=2700, E=128, H=256):
        super().__init__()
        self.src_embed = nn.Embedding(SV, E, padding_idx=0)
        self.tgt_embed = nn.Embedding(TV, E, padding_idx=0)
        self.encoder = nn.GRU(E, H, batch_first=True)
        self.decoder = nn.GRU(E, H, batch_first=True)
        self.attn = nn.Module()
        self.attn.Wa = nn.Linear(H, H, bias=False)
        self.combine = nn.Linear(2 * H, H)
        self.out = nn.Linear(H, TV)

    def encode(self, src, src_mask):
        mask = src_mask[..., 0] != 0
        lengths = mask.sum(1).clamp(min=1)
        packed = nn.utils.rnn.pack_padded_sequence(
            self.src_embed(src), lengths, batch_first=True, enforce_sorted=False)
        enc, h = self.encoder(packed)
        enc, _ = nn.utils.rnn.pad_packed_sequence(enc, batch_first=True,
                                                  total_length=src.shape[1])
        return enc, h, mask

    def decode(self, memo, tgt_in):
        enc, h, mask = memo
        dec, _ = self.decoder(self.tgt_embed(tgt_in), h)
        s = torch.bmm(dec, self.attn.Wa(enc).transpose(1, 2))
        s = s.masked_fill(~mask[:, None, :], float("-inf"))
        ctx = torch.bmm(F.softmax(s, -1), enc)
        return self.out(torch.tanh(self.combine(torch.cat([ctx, dec], 2))))

    def forward(self, src, src_mask, tgt_in):
        return self.decode(self.encode(src, src_mask), tgt_in)


class TransformerSeq2Seq(nn.Module):
    """torch.nn.Transformer (batch_first, post-LN) between learned token
    and position embeddings and a linear layer to the target vocabulary;
    causal decoder self-attention, the source padding mask on the encoder's
    self-attention and the decoder's cross-attention."""

    def __init__(self, SV=1300, TV=2700, D=128, H=4, FF=512, L=2, S=8, T=12, dropout=0.1):
        super().__init__()
        self.src_embed = nn.Embedding(SV, D, padding_idx=0)
        self.src_pos = nn.Embedding(S, D)
        self.tgt_embed = nn.Embedding(TV, D, padding_idx=0)
        self.tgt_pos = nn.Embedding(T, D)
        self.transformer = nn.Transformer(D, H, L, L, FF, dropout=dropout, batch_first=True)
        # In eval mode PyTorch 1.13's encoder would pack padded sources into
        # nested tensors and return only the longest source's positions.
        self.transformer.encoder.enable_nested_tensor = False
        self.out = nn.Linear(D, TV)
        self.drop = nn.Dropout(dropout)

    def encode(self, src, src_mask):
        pad = src_mask[..., 0] == 0
        x = self.drop(self.src_embed(src) + self.src_pos.weight[:src.shape[1]])
        return self.transformer.encoder(x, src_key_padding_mask=pad), pad

    def decode(self, memo, tgt_in):
        memory, pad = memo
        n = tgt_in.shape[1]
        y = self.drop(self.tgt_embed(tgt_in) + self.tgt_pos.weight[:n])
        causal = self.transformer.generate_square_subsequent_mask(n)
        h = self.transformer.decoder(y, memory, tgt_mask=causal, memory_key_padding_mask=pad)
        return self.out(h)

    def forward(self, src, src_mask, tgt_in):
        return self.decode(self.encode(src, src_mask), tgt_in)


def greedy(model, src, src_mask, T, bos=2, eos=3):
    """Greedy decoding of a batch: each row's ids up to its <eos>."""
    with torch.no_grad():
        memo = model.encode(src, src_mask)
        cur = torch.full((src.shape[0], 1), bos, dtype=torch.long)
        out, done = [[] for _ in range(src.shape[0])], [False] * src.shape[0]
        for _ in range(T):
            nxt = model.decode(memo, cur)[:, -1].argmax(-1)
            for r in range(src.shape[0]):
                if not done[r]:
                    if int(nxt[r]) == eos:
                        done[r] = True
                    else:
                        out[r].append(int(nxt[r]))
            cur = torch.cat([cur, nxt[:, None]], 1)
    return out
