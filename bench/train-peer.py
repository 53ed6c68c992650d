# The PyTorch peer for bench/train.bench.ts: the same llama model (vocab 4096, dim 256, 4 layers, 8 heads, 4 kv heads,
# ffn 768), frozen base weights, LoRA rank 8 on all 7 projections, AdamW, 8 rows of 128 tokens per step, on the CPU.
# Usage: python3 bench/train-peer.py THREADS SEQ ROWS STEPS   -> prints mean seconds per step
#        python3 bench/train-peer.py THREADS matmul M K N       -> prints GFLOP/s of one [M,K]x[K,N] product
import math
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]))
if sys.argv[2] == 'matmul':
    m, k, n = (int(a) for a in sys.argv[3:6])
    a, b = torch.randn(m, k), torch.randn(k, n)
    a @ b
    start = time.perf_counter()
    for _ in range(20):
        a @ b
    print(2 * m * k * n / ((time.perf_counter() - start) / 20) / 1e9)
    sys.exit(0)

threads, seq, rows, steps = (int(a) for a in sys.argv[1:5])
torch.manual_seed(0)
V, D, L, H, KV, FF, R, ALPHA = 4096, 256, 4, 8, 4, 768, 8, 16
HD = D // H


class Lora(torch.nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(n_out, n_in) * 0.02, requires_grad=False)
        self.a = torch.nn.Parameter(torch.empty(R, n_in).uniform_(-1 / math.sqrt(n_in), 1 / math.sqrt(n_in)))
        self.b = torch.nn.Parameter(torch.zeros(n_out, R))

    def forward(self, x):
        return F.linear(x, self.w) + (ALPHA / R) * F.linear(F.linear(x, self.a), self.b)


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = Lora(D, H * HD), Lora(D, KV * HD), Lora(D, KV * HD), Lora(H * HD, D)
        self.gate, self.up, self.down = Lora(D, FF), Lora(D, FF), Lora(FF, D)
        self.n1 = torch.nn.Parameter(torch.ones(D), requires_grad=False)
        self.n2 = torch.nn.Parameter(torch.ones(D), requires_grad=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = rms(x, self.n1)
        q = self.q(h).view(b, t, H, HD).transpose(1, 2)
        k = self.k(h).view(b, t, KV, HD).transpose(1, 2)
        v = self.v(h).view(b, t, KV, HD).transpose(1, 2)
        rot = lambda z: torch.cat((-z[..., HD // 2:], z[..., : HD // 2]), -1)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HD) + mask, -1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, t, D))
        f = rms(x, self.n2)
        return x + self.down(F.silu(self.gate(f)) * self.up(f))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Parameter(torch.randn(V, D) * 0.02, requires_grad=False)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(L))
        self.norm = torch.nn.Parameter(torch.ones(D), requires_grad=False)
        self.head = torch.nn.Parameter(torch.randn(V, D) * 0.02, requires_grad=False)

    def forward(self, ids):
        t = ids.shape[1]
        inv = 10000 ** (-torch.arange(0, HD, 2).float() / HD)
        ang = torch.arange(t).float()[:, None] * inv[None]
        cos, sin = torch.cat((ang.cos(), ang.cos()), -1), torch.cat((ang.sin(), ang.sin()), -1)
        mask = torch.full((t, t), float('-inf')).triu(1)
        x = self.emb[ids]
        for blk in self.blocks:
            x = blk(x, cos, sin, mask)
        return F.linear(rms(x, self.norm), self.head)


model = Model()
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.0)


def step():
    ids = torch.randint(0, V, (rows, seq))
    labels = torch.randint(0, V, (rows, seq))
    loss = F.cross_entropy(model(ids).view(-1, V), labels.view(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    opt.step()


step()
start = time.perf_counter()
for _ in range(steps):
    step()
print((time.perf_counter() - start) / steps)
