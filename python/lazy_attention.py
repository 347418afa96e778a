"""Lazy Attention language models in PyTorch, read from and written to the Hugging Face folder layout.

A folder holds config.json (Hugging Face keys; model_type "lazy_attention", or "llama" for plain softmax
attention), model.safetensors (Llama's tensor names, weights as [out, in]) and tokenizer.json. The network
is the Llama-style decoder of the Lazy Attention paper, written from its definitions:

    q, k, v  = x Wq, x Wk, x Wv                     query head h reads key/value head h // (H / G)
    q, k     = RoPE(q), RoPE(k)                     rotate-half, base rope_theta, absolute positions
    S[h,i,j] = q_i . k_j / sqrt(D) + b[h, i-j]      b only for i - j < Lb; -inf for j > i
    P        = softmax_j(S)                         in float32 (or wider)
    A[h,i,j] = ReLU(P[h,i,j] + tau[h] / i)          i = 1-based query position; 0 again for j > i
    O        = A V -> merge heads -> Wo

Variants: lazy (bias + Elastic-Softmax), softmax, bias_only, elastic_only, off_by_one
(exp(S) / (1 + sum_j exp(S))), gated (each head's softmax output times sigmoid(x Wg), Wg [H, C]) and
learned_sink (exp(S) / (exp(s_h) + sum_j exp(S)), one learned logit s_h per head, gpt-oss's "sinks").

Only numpy and torch are needed. Command line:
    python3 lazy_attention.py score DIR --ids IDS.json --out OUT.json
IDS.json is a list of id lists; OUT.json gets, per list, the float64 log-probability of every id after the
first given the ids before it.
"""
import argparse
import json
import math
import os
import struct
from dataclasses import dataclass, asdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

VARIANTS = ("lazy", "softmax", "bias_only", "elastic_only", "off_by_one", "gated", "learned_sink")
END_OF_TEXT = "<|endoftext|>"


# ---------------------------------------------------------------------------------------------------------
# safetensors with numpy: 8-byte little-endian header length, JSON header, raw little-endian data.
# Hand-written because Debian packages no safetensors library; bfloat16 is the top half of a float32.

def read_safetensors(path):
    """All tensors of a .safetensors file as float32 numpy arrays, by name."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = memoryview(data)[8 + n:]
    out = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = body[begin:end]
        if entry["dtype"] == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif entry["dtype"] == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif entry["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}; expected F32, F16 or BF16")
        out[name] = a.reshape(entry["shape"]).astype(np.float32)
    return out


def to_bfloat16_bits(a):
    """float32 array -> uint16 bfloat16 bits, rounded to nearest even (inputs are finite)."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")


def write_safetensors(path, tensors, dtypes):
    """Writes float32 numpy arrays by name; dtypes[name] is F32, F16 or BF16."""
    blobs, header, offset = [], {}, 0
    for name, a in tensors.items():
        dtype = dtypes[name]
        if dtype == "F32":
            raw = np.ascontiguousarray(a, dtype="<f4").tobytes()
        elif dtype == "F16":
            raw = np.ascontiguousarray(a, dtype="<f2").tobytes()
        elif dtype == "BF16":
            raw = to_bfloat16_bits(a).tobytes()
        else:
            raise ValueError(f"tensor {name}: dtype {dtype}; expected F32, F16 or BF16")
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for raw in blobs:
            f.write(raw)


# ---------------------------------------------------------------------------------------------------------
# Configuration: config.json's Hugging Face keys, one field each.

@dataclass
class Config:
    vocab_size: int = 257
    hidden_size: int = 64
    intermediate_size: int = 176
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 64
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    attention_variant: str = "lazy"
    distance_bias_length: int = 64
    start_token: bool = False  # every window begins with start_token_id, as in training
    bos_token_id: int = 256
    eos_token_id: int = 256
    start_token_id: int = 256  # the text boundary: eos_token_id (bos_token_id of a llama folder); not in the file
    tie_word_embeddings: bool = False

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    @property
    def has_bias(self):
        return self.attention_variant in ("lazy", "bias_only")

    @property
    def has_elastic(self):
        return self.attention_variant in ("lazy", "elastic_only")

    @staticmethod
    def from_json(path):
        with open(path) as f:
            j = json.load(f)
        model_type = j.get("model_type")
        if model_type not in ("lazy_attention", "llama"):
            raise ValueError(f"{path}: model_type {model_type!r}; expected 'lazy_attention' or 'llama'")
        for key, fine in (("rope_scaling", None), ("sliding_window", None), ("attention_bias", False),
                          ("mlp_bias", False)):
            if j.get(key, fine) != fine:
                raise ValueError(f"{path}: {key} {j[key]!r} is not supported")
        if j.get("hidden_act", "silu") != "silu":
            raise ValueError(f"{path}: hidden_act {j['hidden_act']!r} is not supported; expected 'silu'")
        c = Config()
        for key in asdict(c):
            if key in j:
                setattr(c, key, j[key])
        c.num_key_value_heads = j.get("num_key_value_heads", c.num_attention_heads)
        if j.get("head_dim", c.head_dim) != c.head_dim:
            raise ValueError(f"{path}: head_dim {j['head_dim']} is not hidden_size / num_attention_heads {c.head_dim}")
        bos, eos = j.get("bos_token_id"), j.get("eos_token_id")
        if model_type == "llama":  # softmax attention; a distinct bos begins every text, as Llama was trained
            c.attention_variant = "softmax"
            c.start_token = j.get("start_token", bos is not None and bos != eos)
            c.start_token_id = bos if bos is not None else eos
        else:
            c.start_token_id = eos if eos is not None else bos
        if c.attention_variant not in VARIANTS:
            raise ValueError(f"{path}: attention_variant {c.attention_variant!r}; expected one of {VARIANTS}")
        return c

    def to_json(self, torch_dtype):
        j = {"architectures": ["LazyAttentionForCausalLM"], "model_type": "lazy_attention"}
        j.update(asdict(self))
        del j["start_token_id"]
        j.update(hidden_act="silu", torch_dtype=torch_dtype, rope_scaling=None,
                 attention_bias=False, mlp_bias=False)
        return j


# ---------------------------------------------------------------------------------------------------------
# The network, in reading order. Module names are the tensor names of the folder.

class RMSNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(size))

    def forward(self, x):
        rms = torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)  # [..., 1]
        return x / rms * self.weight  # [..., C]


def rope(x, theta):
    """Rotate-half RoPE: pair (k, k + D/2) of position t turns by t * theta^(-2k/D). x: [B, H, T, D]."""
    B, H, T, D = x.shape
    inv_freq = theta ** (-torch.arange(0, D // 2, dtype=torch.float64, device=x.device) * 2 / D)  # [D/2]
    angle = torch.arange(T, dtype=torch.float64, device=x.device)[:, None] * inv_freq[None, :]  # [T, D/2]
    cos = torch.cat([angle.cos(), angle.cos()], -1).to(x.dtype)  # [T, D]
    sin = torch.cat([angle.sin(), angle.sin()], -1).to(x.dtype)  # [T, D]
    half = torch.cat([-x[..., D // 2:], x[..., :D // 2]], -1)  # [B, H, T, D]
    return x * cos + half * sin  # [B, H, T, D]


def elastic_softmax(s, tau, causal):
    """A = ReLU(softmax(S) + tau / i), 0 on future keys. s: [B, H, T, T] masked; tau: [H]; causal: [T, T]."""
    T = s.shape[-1]
    p = s.softmax(-1)  # [B, H, T, T]
    i = torch.arange(1, T + 1, dtype=s.dtype, device=s.device)  # [T], 1-based query positions
    a = F.relu(p + tau.to(s.dtype)[:, None, None] / i[:, None])  # [B, H, T, T]
    return a * causal  # [B, H, T, T], tau > 0 would otherwise reach the future


def sink_softmax(s, sink):
    """exp(S) / (exp(sink) + sum_j exp(S)), computed with m = max(max_j S, sink) so that nothing overflows.
    s: [B, H, T, T] masked; sink: [H, 1, 1] per head, or a scalar."""
    m = torch.maximum(s.amax(-1, keepdim=True), sink)  # [B, H, T, 1]
    e = (s - m).exp()  # [B, H, T, T]
    return e / ((sink - m).exp() + e.sum(-1, keepdim=True))  # [B, H, T, T]


def off_by_one_softmax(s):
    """exp(S) / (1 + sum_j exp(S)): the sink softmax with the sink fixed at 0."""
    return sink_softmax(s, s.new_zeros(()))  # [B, H, T, T]


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        H, G, D, C = c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.hidden_size
        self.q_proj = nn.Linear(C, H * D, bias=False)
        self.k_proj = nn.Linear(C, G * D, bias=False)
        self.v_proj = nn.Linear(C, G * D, bias=False)
        self.o_proj = nn.Linear(H * D, C, bias=False)
        if c.has_elastic:
            self.tau = nn.Parameter(torch.full((H,), -1.0))
        if c.has_bias:
            self.distance_bias = nn.Parameter(torch.zeros(H, c.distance_bias_length))
        if c.attention_variant == "gated":
            self.gate_proj = nn.Linear(C, H, bias=False)
        if c.attention_variant == "learned_sink":
            self.sinks = nn.Parameter(torch.zeros(H))  # s_h, kept float32 like tau

    def forward(self, x):
        c = self.c
        B, T, C = x.shape
        H, G, D = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        q = self.q_proj(x).view(B, T, H, D).transpose(1, 2)  # [B, H, T, D]
        k = self.k_proj(x).view(B, T, G, D).transpose(1, 2)  # [B, G, T, D]
        v = self.v_proj(x).view(B, T, G, D).transpose(1, 2)  # [B, G, T, D]
        k = k.repeat_interleave(H // G, dim=1)  # [B, H, T, D], head h reads kv head h // (H / G)
        v = v.repeat_interleave(H // G, dim=1)  # [B, H, T, D]
        q, k = rope(q, c.rope_theta), rope(k, c.rope_theta)  # [B, H, T, D]

        wide = torch.promote_types(x.dtype, torch.float32)  # scores and weights in float32 at least
        s = (q @ k.transpose(-1, -2)).to(wide) / math.sqrt(D)  # [B, H, T, T]
        position = torch.arange(T, device=x.device)  # [T]
        distance = position[:, None] - position[None, :]  # [T, T], i - j
        if c.has_bias:
            Lb = c.distance_bias_length
            b = self.distance_bias.to(wide)[:, distance.clamp(0, Lb - 1)]  # [H, T, T]
            s = s + b * ((distance >= 0) & (distance < Lb))  # [B, H, T, T]
        causal = (distance >= 0).to(wide)  # [T, T]
        s = s.masked_fill(distance < 0, float("-inf"))  # [B, H, T, T]

        if c.has_elastic:
            a = elastic_softmax(s, self.tau, causal)  # [B, H, T, T]
        elif c.attention_variant == "off_by_one":
            a = off_by_one_softmax(s)  # [B, H, T, T]
        elif c.attention_variant == "learned_sink":
            a = sink_softmax(s, self.sinks.to(wide)[:, None, None])  # [B, H, T, T]
        else:
            a = s.softmax(-1)  # [B, H, T, T]
        o = a.to(v.dtype) @ v  # [B, H, T, D], no renormalisation
        if c.attention_variant == "gated":
            o = o * torch.sigmoid(self.gate_proj(x)).transpose(1, 2)[..., None]  # [B, H, T, D]
        return self.o_proj(o.transpose(1, 2).reshape(B, T, H * D))  # [B, T, C]


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))  # [B, T, C]


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))  # [B, T, C]
        return x + self.mlp(self.post_attention_layernorm(x))  # [B, T, C]


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(c) for _ in range(c.num_hidden_layers))
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)

    def forward(self, ids):
        x = self.embed_tokens(ids)  # [B, T, C]
        for layer in self.layers:
            x = layer(x)  # [B, T, C]
        return self.norm(x)  # [B, T, C]


class LazyLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.model = Decoder(c)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        if c.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    def forward(self, ids):
        return self.lm_head(self.model(ids))  # [B, T, V]

    def init_weights(self, seed):
        """The paper's initialisation: weights N(0, 0.02), tau = -1, distance bias N(0, 1e-3), gains 1; sinks 0."""
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith("layernorm.weight") or name == "model.norm.weight":
                    p.fill_(1.0)
                elif name.endswith(".tau"):
                    p.fill_(-1.0)
                elif name.endswith(".sinks"):
                    p.fill_(0.0)
                elif name.endswith(".distance_bias"):
                    p.copy_(torch.randn(p.shape, generator=g) * 1e-3)
                else:
                    p.copy_(torch.randn(p.shape, generator=g) * 0.02)
        return self


# ---------------------------------------------------------------------------------------------------------
# Folders: load, save, score.

def load_folder(path):
    """The model in folder `path`, in float32."""
    c = Config.from_json(os.path.join(path, "config.json"))
    model = LazyLM(c)
    tensors = read_safetensors(os.path.join(path, "model.safetensors"))
    if c.tie_word_embeddings:
        tensors.setdefault("lm_head.weight", tensors["model.embed_tokens.weight"])
    expected = model.state_dict()
    if set(tensors) != set(expected):
        raise ValueError(f"{path}/model.safetensors: missing {sorted(set(expected) - set(tensors))}, "
                         f"unexpected {sorted(set(tensors) - set(expected))}")
    for name, a in tensors.items():
        if list(a.shape) != list(expected[name].shape):
            raise ValueError(f"{path}/model.safetensors: {name} has shape {list(a.shape)}, "
                             f"config.json needs {list(expected[name].shape)}")
    model.load_state_dict({name: torch.from_numpy(a.copy()) for name, a in tensors.items()})
    return model.eval()


def byte_level_chars():
    """GPT-2's byte-to-unicode order: printable Latin-1 bytes stand for themselves, the other 68 take U+0100 on."""
    printable = [b for b in range(256) if ord("!") <= b <= ord("~") or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    chars, extra = [], 256
    for b in range(256):
        if b in printable:
            chars.append(chr(b))
        else:
            chars.append(chr(extra))
            extra += 1
    return chars


def byte_tokenizer_json():
    """A byte-level BPE tokenizer.json with no merges: id b is byte b, id 256 is <|endoftext|>."""
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    vocab = {ch: b for b, ch in enumerate(byte_level_chars())}
    vocab[END_OF_TEXT] = 256
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": 256, "content": END_OF_TEXT, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None, "pre_tokenizer": byte_level,
        "post_processor": dict(byte_level, trim_offsets=False), "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": []},
    }


def encode(text):
    """The ids of `text` under byte_tokenizer_json(): its UTF-8 bytes (no merges, so nothing else applies)."""
    return list(text.encode("utf-8"))


def save_folder(model, path, dtype="F32"):
    """Writes config.json, model.safetensors (tau, distance bias and sinks in F32 always), a byte-level tokenizer.json
    (the model's vocabulary must be its 257 tokens), tokenizer_config.json and generation_config.json."""
    c = model.config
    if c.vocab_size != 257:
        raise ValueError(f"save_folder writes the 257-token byte vocabulary; the model has {c.vocab_size}")
    os.makedirs(path, exist_ok=True)
    tensors = {name: t.detach().float().numpy() for name, t in model.state_dict().items()}
    if c.tie_word_embeddings:
        del tensors["lm_head.weight"]
    dtypes = {name: "F32" if name.endswith((".tau", ".distance_bias", ".sinks")) else dtype for name in tensors}
    write_safetensors(os.path.join(path, "model.safetensors"), tensors, dtypes)
    torch_dtype = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[dtype]
    files = {
        "config.json": c.to_json(torch_dtype),
        "tokenizer.json": byte_tokenizer_json(),
        "tokenizer_config.json": {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": END_OF_TEXT,
                                  "eos_token": END_OF_TEXT, "add_prefix_space": False,
                                  "model_max_length": c.max_position_embeddings},
        "generation_config.json": {"bos_token_id": c.bos_token_id, "eos_token_id": c.eos_token_id},
    }
    for name, content in files.items():
        with open(os.path.join(path, name), "w", encoding="utf-8") as f:
            json.dump(content, f, indent=2, ensure_ascii=False)


@torch.no_grad()
def score(model, ids, dtype=torch.float64):
    """log p(ids[t] | ids[:t]) for t >= 1, as float64. With start_token the row begins with start_token_id
    (context only) unless ids already does, as the model saw its windows in training."""
    c = model.config
    row = list(ids)
    if c.start_token and row[0] != c.start_token_id:
        row = [c.start_token_id] + row
    offset = len(row) - len(ids)
    if len(row) > c.max_position_embeddings:
        raise ValueError(f"{len(row)} positions, more than max_position_embeddings {c.max_position_embeddings}")
    x = torch.tensor([row])  # [1, T]
    logits = model.to(dtype)(x)[0]  # [T, V]
    logp = logits.log_softmax(-1)  # [T, V]
    targets = torch.tensor(row[offset + 1:])  # [n - 1]
    return logp[offset:-1].gather(1, targets[:, None])[:, 0].double().tolist()  # [n - 1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score", help="per-token log-probabilities of id sequences")
    s.add_argument("folder")
    s.add_argument("--ids", required=True, help="JSON list of id lists")
    s.add_argument("--out", required=True, help="JSON list of float64 log-probability lists")
    args = parser.parse_args(argv)
    model = load_folder(args.folder)
    with open(args.ids) as f:
        sequences = json.load(f)
    result = [score(model, ids) for ids in sequences]
    with open(args.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
