"""Trains a lazy_attention.LazyLM data-parallel with PyTorch's DistributedDataParallel and saves the folder
that Java loads (lazyattn import, LazyLanguageModel.load(dir), lazylm.model=DIR, new LazyAttentionModel(dir)).

Two ways to start it:
  python3 train_ddp.py --text corpus.txt --out DIR --nproc 2
      spawns the processes itself (torch.multiprocessing, gloo over tcp://127.0.0.1:PORT, CPU)
  torchrun --nproc_per_node 8 train_ddp.py --text corpus.txt --out DIR
      takes torchrun's RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR (nccl on CUDA, gloo otherwise)

Text is read as UTF-8 bytes (ids 0..255, <|endoftext|> 256 before every line), the tokenizer that
lazy_attention.save_folder writes. Each step every rank draws its own windows from a generator seeded by
(seed, step, rank), so a run is reproducible; AdamW; rank 0 prints the step's mean loss over all ranks.
"""
import argparse
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

import lazy_attention as la


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--text", required=True, help="UTF-8 training text")
    p.add_argument("--out", required=True, help="folder to write (config.json, model.safetensors, ...)")
    p.add_argument("--nproc", type=int, default=2, help="processes to spawn when not started by torchrun")
    p.add_argument("--port", type=int, default=0, help="rendezvous port for spawned processes (0: a free one)")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch", type=int, default=4, help="windows per process and step")
    p.add_argument("--seq", type=int, default=32, help="tokens per window (without the start token)")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--variant", default="lazy", choices=la.VARIANTS)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--mlp", type=int, default=176)
    p.add_argument("--context", type=int, default=64, help="max_position_embeddings")
    p.add_argument("--bias-length", type=int, default=64)
    p.add_argument("--start-token", action="store_true", help="begin every window with <|endoftext|>")
    p.add_argument("--dtype", default="F32", choices=("F32", "F16", "BF16"), help="dtype of the saved weights")
    return p.parse_args(argv)


def config_of(args):
    return la.Config(vocab_size=257, hidden_size=args.hidden, intermediate_size=args.mlp,
                     num_hidden_layers=args.layers, num_attention_heads=args.heads,
                     num_key_value_heads=args.kv_heads, max_position_embeddings=args.context,
                     attention_variant=args.variant, distance_bias_length=args.bias_length,
                     start_token=args.start_token)


def token_stream(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    ids = []
    for line in lines:
        ids += [256] + la.encode(line + "\n")
    return torch.tensor(ids)  # [N]


def batch_of(tokens, args, step, rank):
    """[batch, seq + 1] windows starting at positions drawn from (seed, step, rank)."""
    g = torch.Generator().manual_seed(args.seed * 1_000_003 + step * 1009 + rank)
    starts = torch.randint(0, len(tokens) - args.seq - 1, (args.batch,), generator=g)  # [batch]
    windows = torch.stack([tokens[s:s + args.seq + 1] for s in starts.tolist()])  # [batch, seq + 1]
    if args.start_token:  # the start token is context only: it predicts nothing
        windows = torch.cat([torch.full((args.batch, 1), 256), windows], 1)  # [batch, seq + 2]
    return windows


def train(rank, world, args, device):
    torch.manual_seed(args.seed)
    model = la.LazyLM(config_of(args)).init_weights(args.seed).to(device)
    ddp = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    matrices = [p for name, p in model.named_parameters() if name.endswith(("_proj.weight", "embed_tokens.weight",
                                                                              "lm_head.weight"))]
    others = [p for name, p in model.named_parameters() if all(p is not m for m in matrices)]
    opt = torch.optim.AdamW([{"params": matrices, "weight_decay": args.weight_decay},
                             {"params": others, "weight_decay": 0.0}], lr=args.lr)  # no decay on gains, tau, bias, sinks
    tokens = token_stream(args.text)
    skip = 1 if args.start_token else 0
    for step in range(1, args.steps + 1):
        windows = batch_of(tokens, args, step, rank).to(device)  # [B, T + 1]
        logits = ddp(windows[:, :-1])  # [B, T, V]
        loss = F.cross_entropy(logits[:, skip:].reshape(-1, logits.shape[-1]), windows[:, skip + 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()  # DDP averages the gradients over all ranks here
        opt.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        if rank == 0:
            print(f"step {step}/{args.steps} loss {mean.item() / world:.4f}", flush=True)
    if rank == 0:
        la.save_folder(model.cpu(), args.out, dtype=args.dtype)
        print(f"saved {args.out} ({world} processes, {args.steps} steps)", flush=True)
    dist.barrier()


def spawned(rank, world, port, args):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        train(rank, world, args, torch.device("cpu"))
    finally:
        dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None):
    args = parse_args(argv)
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # started by torchrun
        cuda = torch.cuda.is_available()
        local = int(os.environ.get("LOCAL_RANK", 0))
        device = torch.device("cuda", local) if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if cuda else "gloo")
        try:
            train(dist.get_rank(), dist.get_world_size(), args, device)
        finally:
            dist.destroy_process_group()
    else:
        port = args.port or free_port()
        mp.spawn(spawned, args=(args.nproc, port, args), nprocs=args.nproc, join=True)


if __name__ == "__main__":
    main()
