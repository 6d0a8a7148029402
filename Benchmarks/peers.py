#!/usr/bin/env python3
"""Times the workloads of `swift run -c release bench` in PyTorch (CPU) and numpy.

The shapes, layers, batch sizes and flop counts are those of Sources/Bench/Workloads.swift, and a
workload is timed the way bench times it: warm-up calls, then an inner loop calibrated to last at
least --min-sample seconds, repeated --samples times; the median is reported. Run it right before
bench, in the same minute, and give bench the JSON file:

    python3 Benchmarks/peers.py --threads 2 --json peers.json
    swift run -c release bench --peers peers.json

The JSON file holds {"threads", "torch", "numpy", "results": [{"section", "name", "impl", "ms",
"ms_min", "ms_max", "cpu_ms", "gflop", "gflops_per_s"}]}; bench matches records by (section, name,
impl). cpu_ms is processor time per call over all threads, which a busy machine disturbs less than
the wall-clock time (though it counts the time threads spend spinning while they wait).
"""

import argparse
import json
import platform
import sys
import time

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # numpy alone still gives the SGEMM figures
    torch = None

SECTIONS = ["sgemm", "conv", "pixelcnn", "gated", "lstm", "vae", "gan"]

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--threads", type=int, default=2, help="threads for torch (numpy's BLAS: set OMP_NUM_THREADS)")
parser.add_argument("--samples", type=int, default=7, help="timed samples per workload (the median is reported)")
parser.add_argument("--warmup", type=int, default=3, help="untimed calls before timing")
parser.add_argument("--min-sample", type=float, default=0.25, help="minimum seconds per timed sample")
parser.add_argument("--only", type=str, default=",".join(SECTIONS), help="comma-separated sections")
parser.add_argument("--json", type=str, default=None, help="write the records to this file")
options = parser.parse_args()

results = []


def measure(body):
    """Median, fastest and slowest seconds per call of body(), as bench measures it, and the processor
    seconds per call (all threads): on a shared machine the steadier of the two."""
    for _ in range(options.warmup):
        body()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            body()
        elapsed = time.perf_counter() - start
        if elapsed >= options.min_sample or calls >= 1 << 20:
            break
        calls = max(2 * calls, int(calls * options.min_sample / max(elapsed, 1e-9) * 1.1))
    samples = []
    cpu_start = time.process_time()
    for _ in range(options.samples):
        start = time.perf_counter()
        for _ in range(calls):
            body()
        samples.append((time.perf_counter() - start) / calls)
    cpu = (time.process_time() - cpu_start) / (calls * options.samples)
    samples.sort()
    return samples[len(samples) // 2], samples[0], samples[-1], cpu


def record(section, name, impl, body, flops=None):
    median, fastest, slowest, cpu = measure(body)
    entry = dict(section=section, name=name, impl=impl, ms=median * 1e3, ms_min=fastest * 1e3, ms_max=slowest * 1e3,
                 cpu_ms=cpu * 1e3)
    line = f"[{section:8s}] {name:42s} {impl:14s} {median * 1e3:9.3f} ms (cpu {cpu * 1e3:.3f} ms)"
    if flops:
        entry["gflop"] = flops / 1e9
        entry["gflops_per_s"] = flops / median / 1e9
        line += f"  {entry['gflops_per_s']:7.2f} GFLOP/s"
    results.append(entry)
    print(line, flush=True)


def sgemm():
    rng = np.random.default_rng(0)
    for n in (256, 512, 1024):
        a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        record("sgemm", f"{n}x{n}x{n}", "numpy", lambda: a @ b, flops=2 * n**3)
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            record("sgemm", f"{n}x{n}x{n}", "torch", lambda: ta @ tb, flops=2 * n**3)


def conv():
    n, c, h, k = 32, 32, 28, 3
    torch.manual_seed(0)
    x = torch.randn(n, c, h, h, requires_grad=True)
    w = (0.1 * torch.randn(c, c, k, k)).requires_grad_()
    b = torch.zeros(c, requires_grad=True)
    gy = torch.randn(n, c, h, h)
    flops = 2.0 * n * c * h * h * c * k * k
    name = "3x3 p1 N32 32->32 28x28"

    def forward():
        with torch.no_grad():
            F.conv2d(x, w, b, padding=1)

    def both():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, padding=1).backward(gy)

    record("conv", name + " fwd", "torch", forward, flops=flops)
    record("conv", name + " fwd+bwd(dx,dW)", "torch", both, flops=3 * flops)


def masked(kind, cin, cout, k):
    """A conv layer whose weight is multiplied by a causal mask on every call: rows below the centre
    and, on the centre row, taps right of the centre (mask A also hides the centre)."""
    conv = nn.Conv2d(cin, cout, k, padding=k // 2)
    mask = torch.ones_like(conv.weight)
    centre = k // 2
    mask[:, :, centre + 1:, :] = 0
    mask[:, :, centre, centre + (1 if kind == "B" else 0):] = 0

    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = conv
            self.register_buffer("mask", mask)

        def forward(self, v):
            return F.conv2d(v, self.conv.weight * self.mask, self.conv.bias, padding=centre)

    return Masked()


def pixelcnn():
    batch, size, width = 32, 28, 32
    torch.manual_seed(0)
    layers = [masked("A", 1, width, 7), nn.ReLU()]
    for _ in range(5):
        layers += [masked("B", width, width, 3), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Conv2d(width, 1, 1))
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.bernoulli(torch.full((batch, 1, size, size), 0.5))

    def step():
        adam.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(model(x), x).backward()
        adam.step()

    def forward():
        with torch.no_grad():
            model(x)

    plane = size * size
    forward_flops = 2.0 * batch * plane * (width * 49 + 5 * width * width * 9 + width)
    train_flops = 3 * forward_flops - 2.0 * batch * plane * width * 49  # no input gradient for the first layer
    count = sum(p.numel() for p in model.parameters())
    record("pixelcnn", f"train step B32 28x28 ({count} params)", "torch", step, flops=train_flops)
    record("pixelcnn", "forward only B32 (no grad)", "torch", forward, flops=forward_flops)


def gated():
    """Chapter 3's gated PixelCNN on MNIST (van den Oord et al. 2016, figure 2), as GatedPixelCNN
    in Sources/Models builds it: p = 16 channels per stack, a 7x7 first layer with masks A, six 3x3
    layers with masks B dilated 1, 2, 4, 8, 8, 1 (torch's own dilation), a 1x1 ReLU layer of 32 and
    one logit per pixel; a training step on 16 binarised 28 x 28 images."""
    batch, size, p = 16, 28, 16
    torch.manual_seed(0)

    def stack_masks(kind, k):
        """The vertical mask (rows above; mask B also the centre row) and the horizontal one (the
        row's taps left of the centre; mask B also the centre), k x k."""
        c = k // 2
        vertical = torch.zeros(k, k)
        vertical[:c + (1 if kind == "B" else 0), :] = 1
        horizontal = torch.zeros(k, k)
        horizontal[c, :c + (1 if kind == "B" else 0)] = 1
        return vertical, horizontal

    class Layer(nn.Module):
        def __init__(self, cin, kind, k, dilation):
            super().__init__()
            self.pad = dilation * (k // 2)
            self.dilation = dilation
            self.vertical = nn.Conv2d(cin, 2 * p, k)
            self.horizontal = nn.Conv2d(cin, 2 * p, k)
            self.to_horizontal = nn.Conv2d(2 * p, 2 * p, 1)
            self.out = nn.Conv2d(p, p, 1)
            self.residual = kind == "B"
            v, h = stack_masks(kind, k)
            self.register_buffer("vmask", v)
            self.register_buffer("hmask", h)

        def conv(self, layer, mask, x):
            return F.conv2d(x, layer.weight * mask, layer.bias, padding=self.pad, dilation=self.dilation)

        def forward(self, v, h):
            vp = self.conv(self.vertical, self.vmask, v)
            hp = self.conv(self.horizontal, self.hmask, h) + self.to_horizontal(vp)
            gate = lambda x: torch.tanh(x[:, :p]) * torch.sigmoid(x[:, p:])
            out = self.out(gate(hp))
            return gate(vp), h + out if self.residual else out

    class Gated(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(
                [Layer(1, "A", 7, 1)] + [Layer(p, "B", 3, d) for d in (1, 2, 4, 8, 8, 1)])
            self.hidden = nn.Conv2d(p, 32, 1)
            self.output = nn.Conv2d(32, 1, 1)

        def forward(self, x):
            v, h = x, x
            for layer in self.layers:
                v, h = layer(v, h)
            return self.output(F.relu(self.hidden(h)))

    model = Gated()
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.bernoulli(torch.full((batch, 1, size, size), 0.5))

    def step():
        adam.zero_grad(set_to_none=True)
        (F.binary_cross_entropy_with_logits(model(x), x, reduction="sum") / batch).backward()
        adam.step()

    def forward():
        with torch.no_grad():
            model(x)

    # Multiply-adds per pixel, counting only the weights the masks keep (as bench counts them).
    macs = 0
    for layer in model.layers:
        cin = layer.vertical.in_channels
        macs += 2 * p * cin * int(layer.vmask.sum() + layer.hmask.sum()) + (2 * p) ** 2 + p * p
    macs += p * 32 + 32
    forward_flops = 2.0 * batch * size * size * macs
    record("gated", "train step B16 28x28, dilations 1,2,4,8,8,1", "torch", step, flops=3 * forward_flops)
    record("gated", "forward only B16 (no grad)", "torch", forward, flops=forward_flops)


def lstm():
    batch, steps, hidden, levels = 64, 64, 128, 17
    torch.manual_seed(0)
    cell = nn.LSTM(1, hidden, batch_first=True)
    head = nn.Linear(hidden, levels)
    adam = torch.optim.Adam(list(cell.parameters()) + list(head.parameters()), lr=1e-3)
    images = torch.randint(0, levels, (batch, steps))
    inputs = torch.cat([torch.zeros(batch, 1), images[:, :-1].float() / 16], 1).unsqueeze(-1)

    def train():
        adam.zero_grad(set_to_none=True)
        out, _ = cell(inputs)
        F.cross_entropy(head(out).reshape(-1, levels), images.reshape(-1)).backward()
        adam.step()

    def sample():
        with torch.no_grad():
            state = (torch.zeros(1, batch, hidden), torch.zeros(1, batch, hidden))
            x = torch.zeros(batch, 1, 1)
            for _ in range(steps):
                out, state = cell(x, state)
                pixel = torch.multinomial(torch.softmax(head(out[:, 0]), -1), 1)
                x = (pixel.float() / 16).unsqueeze(-1)

    forward_flops = 2.0 * batch * steps * (4 * hidden * (1 + hidden) + hidden * levels)
    record("lstm", "train step T64 B64 H128 17-way", "torch nn.LSTM", train, flops=3 * forward_flops)
    record("lstm", "sample 64 imgs 8x8 (64 seq. steps)", "torch nn.LSTM", sample, flops=forward_flops)


def vae():
    batch, latent = 100, 20
    torch.manual_seed(0)
    e1, e2 = nn.Linear(784, 400), nn.Linear(400, 2 * latent)
    d1, d2 = nn.Linear(latent, 400), nn.Linear(400, 784)
    parameters = [p for m in (e1, e2, d1, d2) for p in m.parameters()]
    adam = torch.optim.Adam(parameters, lr=1e-3)
    x = torch.bernoulli(torch.full((batch, 784), 0.5))

    def step():
        adam.zero_grad(set_to_none=True)
        stats = e2(F.relu(e1(x)))
        mean, log_variance = stats[:, :latent], stats[:, latent:]
        z = mean + torch.exp(0.5 * log_variance) * torch.randn(batch, latent)
        logits = d2(F.relu(d1(z)))
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / batch
        kl = 0.5 * (mean.pow(2) + log_variance.exp() - 1 - log_variance).sum() / batch
        (reconstruction + kl).backward()
        adam.step()

    forward = 2.0 * batch * (784 * 400 + 400 * 40 + 20 * 400 + 400 * 784)
    record("vae", "MLP VAE 784-400-2x20 / 20-400-784 B100", "torch", step, flops=3 * forward - 2.0 * batch * 784 * 400)


def gan():
    batch, noise = 64, 64
    torch.manual_seed(0)
    g1, g2 = nn.Linear(noise, 256), nn.Linear(256, 784)
    d1, d2 = nn.Linear(784, 256), nn.Linear(256, 1)
    generator = [p for m in (g1, g2) for p in m.parameters()]
    discriminator = [p for m in (d1, d2) for p in m.parameters()]
    adam_g = torch.optim.Adam(generator, lr=2e-4, betas=(0.5, 0.999))
    adam_d = torch.optim.Adam(discriminator, lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, 784) * 2 - 1
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def generate(z):
        return torch.tanh(g2(F.relu(g1(z))))

    def discriminate(v):
        return d2(F.leaky_relu(d1(v), 0.2))

    def step():
        z = torch.randn(batch, noise)
        adam_d.zero_grad(set_to_none=True)
        fake = generate(z).detach()
        loss_d = F.binary_cross_entropy_with_logits(discriminate(real), ones) + F.binary_cross_entropy_with_logits(
            discriminate(fake), zeros)
        loss_d.backward()
        adam_d.step()
        adam_g.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(discriminate(generate(z)), ones).backward()
        adam_g.step()

    g = 2.0 * batch * (noise * 256 + 256 * 784)
    d = 2.0 * batch * (784 * 256 + 256)
    flops = g + 2 * d * 2 + 3 * d + (2 * g - 2.0 * batch * noise * 256)
    record("gan", "MLP GAN G 64-256-784, D 784-256-1, B64", "torch", step, flops=flops)


def main():
    wanted = [s.strip() for s in options.only.split(",")]
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown:
        sys.exit(f"peers.py: unknown section {', '.join(unknown)}; choose from {','.join(SECTIONS)}")
    if torch is None:
        print("peers.py: torch is not installed, timing numpy only. Install the CPU build with\n"
              "  pip install torch --index-url https://download.pytorch.org/whl/cpu", file=sys.stderr)
    else:
        torch.set_num_threads(options.threads)
    print(f"peers.py: python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'absent'}, {options.threads} threads", flush=True)
    for section in SECTIONS:
        if section in wanted and (section == "sgemm" or torch is not None):
            globals()[section]()
    if options.json:
        with open(options.json, "w") as f:
            json.dump(dict(threads=options.threads, numpy=np.__version__, torch=torch.__version__ if torch else None,
                           results=results), f, indent=1)


if __name__ == "__main__":
    main()
