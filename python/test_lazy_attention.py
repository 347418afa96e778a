"""Unit tests of lazy_attention.py: DESIGN.md's golden example, the variants against their definitions written
out a second way (loops in float64), and folders written and read back. Run: python3 -m unittest discover python
"""
import json
import math
import os
import struct
import tempfile
import unittest

import numpy as np
import torch

import lazy_attention as la

GOLDEN_S = [[0.5], [1.2, 0.5], [0.4, 2.2, 0.5], [0.0, 0.2, 1.7, 0.7]]  # rows, bias already added
GOLDEN_P = [[1], [.668188, .331812], [.122627, .741849, .135524], [.102996, .125800, .563795, .207409]]
GOLDEN_A = {
    -1.0: [[0], [.168188, 0], [0, .408516, 0], [0, 0, .313795, 0]],
    -0.5: [[.5], [.418188, .081812], [0, .575183, 0], [0, .000800, .438795, .082409]],
}


def golden_scores():
    s = torch.full((1, 1, 4, 4), float("-inf"), dtype=torch.float64)  # [B, H, T, T]
    for i, row in enumerate(GOLDEN_S):
        s[0, 0, i, :len(row)] = torch.tensor(row)
    return s


def tiny(variant, kv_heads=2, start_token=False, seed=1):
    c = la.Config(hidden_size=16, intermediate_size=24, num_attention_heads=4, num_key_value_heads=kv_heads,
                  max_position_embeddings=24, distance_bias_length=5, attention_variant=variant,
                  start_token=start_token)
    model = la.LazyLM(c).init_weights(seed)
    with torch.no_grad():  # tau and sinks on both sides of 0 and a visible bias, so every branch matters
        for layer in model.model.layers:
            if variant == "learned_sink":
                layer.self_attn.sinks.copy_(torch.tensor([-1.5, -0.2, 0.4, 2.0]))
            if c.has_elastic:
                layer.self_attn.tau.copy_(torch.tensor([-1.5, -0.4, 0.0, 0.3]))
            if c.has_bias:
                layer.self_attn.distance_bias.normal_(0, 0.5)
    return model.double()


def loop_attention(attn, x):
    """One attention layer from its definition, query by query and head by head, in float64."""
    c = attn.c
    T, C = x.shape
    H, G, D = c.num_attention_heads, c.num_key_value_heads, c.head_dim
    q = x @ attn.q_proj.weight.T  # [T, H*D]
    k = x @ attn.k_proj.weight.T  # [T, G*D]
    v = x @ attn.v_proj.weight.T  # [T, G*D]

    def rotate(vec, pos):  # vec [D]: pairs (m, m + D/2) turn by pos * theta^(-2m/D)
        out = vec.clone()
        for m in range(D // 2):
            angle = pos * c.rope_theta ** (-2 * m / D)
            a, b = vec[m], vec[m + D // 2]
            out[m], out[m + D // 2] = a * math.cos(angle) - b * math.sin(angle), b * math.cos(angle) + a * math.sin(angle)
        return out

    heads = torch.zeros(T, H * D, dtype=x.dtype)
    for h in range(H):
        g = h // (H // G)
        for i in range(T):
            qi = rotate(q[i, h * D:(h + 1) * D], i)
            s = []
            for j in range(i + 1):
                kj = rotate(k[j, g * D:(g + 1) * D], j)
                bias = attn.distance_bias[h, i - j].item() if c.has_bias and i - j < c.distance_bias_length else 0.0
                s.append((qi @ kj).item() / math.sqrt(D) + bias)
            e = [math.exp(sj - max(s)) for sj in s]
            if c.attention_variant == "off_by_one":
                w = [math.exp(sj) / (1 + sum(math.exp(t) for t in s)) for sj in s]
            elif c.attention_variant == "learned_sink":
                sink = math.exp(attn.sinks[h].item())
                w = [math.exp(sj) / (sink + sum(math.exp(t) for t in s)) for sj in s]
            elif c.has_elastic:
                w = [max(0.0, ej / sum(e) + attn.tau[h].item() / (i + 1)) for ej in e]
            else:
                w = [ej / sum(e) for ej in e]
            o = sum(w[j] * v[j, g * D:(g + 1) * D] for j in range(i + 1))
            if c.attention_variant == "gated":
                o = o * torch.sigmoid(x[i] @ attn.gate_proj.weight[h])
            heads[i, h * D:(h + 1) * D] = o
    return heads @ attn.o_proj.weight.T  # [T, C]


class GoldenExampleTest(unittest.TestCase):
    def test_softmax_rows_match_the_design(self):
        p = golden_scores().softmax(-1)[0, 0]
        for i, row in enumerate(GOLDEN_P):
            np.testing.assert_allclose(p[i, :len(row)].numpy(), row, atol=1e-6)

    def test_elastic_softmax_rows_match_the_design(self):
        causal = torch.tril(torch.ones(4, 4, dtype=torch.float64))
        for tau, rows in GOLDEN_A.items():
            a = la.elastic_softmax(golden_scores(), torch.tensor([tau]), causal)[0, 0]
            for i, row in enumerate(rows):
                np.testing.assert_allclose(a[i, :len(row)].numpy(), row, atol=1e-6, err_msg=f"tau {tau}")
                self.assertTrue(torch.all(a[i, len(row):] == 0))
        zeros = (la.elastic_softmax(golden_scores(), torch.tensor([-1.0]), causal)[0, 0] == 0)
        self.assertEqual(7, int(torch.tril(zeros).sum()))

    def test_tau_zero_is_softmax_and_a_positive_tau_never_reaches_the_future(self):
        causal = torch.tril(torch.ones(4, 4, dtype=torch.float64))
        a = la.elastic_softmax(golden_scores(), torch.tensor([0.0]), causal)
        torch.testing.assert_close(a, golden_scores().softmax(-1))
        a = la.elastic_softmax(golden_scores(), torch.tensor([0.7]), causal)[0, 0]
        self.assertTrue(torch.all(torch.triu(a, 1) == 0))

    def test_off_by_one_is_a_softmax_with_one_more_zero_key(self):
        s = golden_scores()
        with_zero_key = torch.cat([s, torch.zeros(1, 1, 4, 1, dtype=s.dtype)], -1).softmax(-1)[..., :4]
        torch.testing.assert_close(la.off_by_one_softmax(s), with_zero_key)
        huge = la.off_by_one_softmax(s + 1000.0)  # no overflow: m shifts every exponent
        self.assertTrue(torch.isfinite(huge).all())

    def test_a_learned_sink_is_a_softmax_with_one_more_key_of_score_s(self):
        s = golden_scores().expand(1, 3, 4, 4)  # [1, 3, 4, 4], one sink per head
        sink = torch.tensor([-2.0, 0.0, 1.5], dtype=s.dtype)
        with_sink_key = torch.cat([s, sink[None, :, None, None].expand(1, 3, 4, 1)], -1).softmax(-1)[..., :4]
        torch.testing.assert_close(la.sink_softmax(s, sink[:, None, None]), with_sink_key)
        huge = la.sink_softmax(s + 1000.0, sink[:, None, None] + 2000.0)  # no overflow on either side
        self.assertTrue(torch.isfinite(huge).all())


class VariantsTest(unittest.TestCase):
    def test_every_variant_with_gqa_equals_its_definition_written_as_loops(self):
        torch.manual_seed(0)
        x = torch.randn(7, 16, dtype=torch.float64)  # [T, C]
        for variant in la.VARIANTS:
            for kv_heads in (4, 2, 1):
                attn = tiny(variant, kv_heads).model.layers[0].self_attn
                with torch.no_grad():
                    fast = attn(x[None])[0]
                    slow = loop_attention(attn, x)
                torch.testing.assert_close(fast, slow, rtol=1e-10, atol=1e-12, msg=f"{variant}, {kv_heads} kv heads")

    def test_off_by_one_is_learned_sink_with_every_sink_at_zero(self):
        sink, off_by_one = tiny("learned_sink"), tiny("off_by_one")
        sink.load_state_dict(off_by_one.state_dict(), strict=False)  # the same weights; the sinks stay
        ids = torch.tensor([[256, 72, 101, 108, 108, 111, 32, 10]])
        self.assertFalse(torch.allclose(sink(ids), off_by_one(ids)), "sinks away from 0 differ")
        with torch.no_grad():
            for layer in sink.model.layers:
                layer.self_attn.sinks.zero_()
        torch.testing.assert_close(sink(ids), off_by_one(ids), rtol=0, atol=0)
        self.assertTrue(torch.all(la.LazyLM(sink.config).init_weights(1).model.layers[0].self_attn.sinks == 0))

    def test_lazy_with_tau_and_bias_zero_is_standard_softmax_attention(self):
        lazy, softmax = tiny("lazy"), tiny("softmax")
        lazy.load_state_dict(softmax.state_dict(), strict=False)  # the same weights; tau and b stay lazy's
        with torch.no_grad():
            for layer in lazy.model.layers:
                layer.self_attn.tau.zero_()
                layer.self_attn.distance_bias.zero_()
        ids = torch.tensor([[256, 72, 101, 108, 108, 111, 32, 10]])
        torch.testing.assert_close(lazy(ids), softmax(ids))

    def test_scores_are_log_probabilities_of_the_next_tokens_and_the_start_token_is_context_only(self):
        model = tiny("lazy", start_token=True)
        ids = [72, 105, 33, 10]
        logits = model(torch.tensor([[256] + ids]))[0].log_softmax(-1)  # [5, V]
        expected = [logits[t + 1, ids[t + 1]].item() for t in range(3)]
        np.testing.assert_allclose(la.score(model, ids), expected, rtol=1e-12)
        np.testing.assert_allclose(la.score(model, [256] + ids), [logits[t, ([256] + ids)[t + 1]].item()
                                                                 for t in range(4)], rtol=1e-12)


class FolderTest(unittest.TestCase):
    def test_safetensors_layout_and_half_precision_bits(self):
        a = np.array([[1.0, -2.5], [1.0 + 2.0 ** -8, 3.0e-3]], dtype=np.float32)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.safetensors")
            la.write_safetensors(path, {"a": a, "b": a, "c": a}, {"a": "F32", "b": "F16", "c": "BF16"})
            with open(path, "rb") as f:
                data = f.read()
            (n,) = struct.unpack("<Q", data[:8])
            self.assertEqual(0, n % 8)
            header = json.loads(data[8:8 + n])
            self.assertEqual({"dtype": "BF16", "shape": [2, 2], "data_offsets": [24, 32]}, header["c"])
            bf16 = np.frombuffer(data[8 + n + 24:8 + n + 32], dtype="<u2")
            # 1 + 2^-8 lies halfway between two bfloat16 values and rounds to the even one, 1.0 (0x3F80)
            self.assertEqual([0x3F80, 0xC020, 0x3F80], bf16[:3].tolist())
            back = la.read_safetensors(path)
            np.testing.assert_array_equal(back["a"], a)
            np.testing.assert_array_equal(back["b"], a.astype(np.float16).astype(np.float32))
            np.testing.assert_allclose(back["c"], a, rtol=2.0 ** -8)

    def test_a_saved_folder_loads_back_to_the_same_scores(self):
        for variant in la.VARIANTS:
            model = tiny(variant, start_token=True).float()
            with tempfile.TemporaryDirectory() as d:
                la.save_folder(model, d)
                back = la.load_folder(d)
                with open(os.path.join(d, "config.json")) as f:
                    config = json.load(f)
            self.assertEqual(variant, config["attention_variant"])
            ids = la.encode("naïve text\n")
            np.testing.assert_array_equal(la.score(model, ids), la.score(back, ids))

    def test_tau_bias_and_sinks_stay_float32_in_a_bfloat16_folder(self):
        model = tiny("lazy").float()
        with tempfile.TemporaryDirectory() as d:
            la.save_folder(model, d, dtype="BF16")
            with open(os.path.join(d, "model.safetensors"), "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                header = json.loads(f.read(n))
        self.assertEqual("F32", header["model.layers.0.self_attn.tau"]["dtype"])
        self.assertEqual("F32", header["model.layers.1.self_attn.distance_bias"]["dtype"])
        with tempfile.TemporaryDirectory() as d:
            la.save_folder(tiny("learned_sink").float(), d, dtype="BF16")
            with open(os.path.join(d, "model.safetensors"), "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                sinks = json.loads(f.read(n))["model.layers.0.self_attn.sinks"]
        self.assertEqual({"dtype": "F32", "shape": [4]}, {k: sinks[k] for k in ("dtype", "shape")})
        self.assertEqual("BF16", header["model.layers.0.self_attn.q_proj.weight"]["dtype"])
        self.assertEqual([8, 16], header["model.layers.0.self_attn.k_proj.weight"]["shape"])

    def test_a_llama_folder_is_softmax_attention_that_begins_every_text_with_its_bos(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "config.json")
            config = la.Config(attention_variant="softmax").to_json("float32")
            config.update(model_type="llama", bos_token_id=1, eos_token_id=2)
            for key in ("attention_variant", "distance_bias_length", "start_token"):
                del config[key]
            with open(path, "w") as f:
                json.dump(config, f)
            c = la.Config.from_json(path)
            self.assertEqual(("softmax", True, 1), (c.attention_variant, c.start_token, c.start_token_id))
            config.update(rope_scaling={"type": "linear", "factor": 2.0})
            with open(path, "w") as f:
                json.dump(config, f)
            with self.assertRaisesRegex(ValueError, "rope_scaling"):
                la.Config.from_json(path)

    def test_byte_tokenizer_is_gpt2s_byte_alphabet(self):
        chars = la.byte_level_chars()
        self.assertEqual(("Ġ", "Ċ", "A", "ÿ"), (chars[0x20], chars[0x0A], chars[0x41], chars[0xFF]))
        self.assertEqual(256, len(set(chars)))
        vocab = la.byte_tokenizer_json()["model"]["vocab"]
        self.assertEqual(list(range(257)), sorted(vocab.values()))
        self.assertEqual([0xC3, 0xA9], la.encode("é"))


if __name__ == "__main__":
    unittest.main()
