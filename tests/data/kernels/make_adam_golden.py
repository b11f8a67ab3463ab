"""Writes adam_golden.json: a few steps of torch.optim.AdamW / Adam on 37 fp32 values, for
tests/kernels/optimizer_test.cpp, which checks that finetune's adam_step reproduces PyTorch's
fp32 arithmetic (exp_avg and exp_avg_sq bit for bit, the parameters to within one ulp, bit for
bit wherever PyTorch's sqrt is correctly rounded).

Run with the project's pinned PyTorch (CPU):  /work/venv/bin/python make_adam_golden.py
Each case lists the hyperparameters, the initial parameters and, per step, the raw gradients fed
to the step (multiplied first by grad_scale in fp32, as clip_grad_norm_ does) and the state after
it: params, exp_avg, exp_avg_sq and torch.sqrt(exp_avg_sq) (PyTorch's own fp32 sqrt, which the
step used). Every float is written as the shortest decimal that round-trips the fp32 value
through a double, so reading it back as double and converting to float is exact.
"""

import json
import platform
import sys

import torch

N = 37
STEPS = 3


def f32_list(t):
    return [float(x) for x in t.detach().to(torch.float32).tolist()]


def run_case(name, optimizer, lr, betas, eps, weight_decay, grad_scale, seed):
    gen = torch.Generator().manual_seed(seed)
    # Parameters across three orders of magnitude, so that the update is sometimes a large
    # fraction of the parameter; gradients across four, with two exact zeros.
    scale = 10.0 ** (-3.0 * torch.rand(N, generator=gen))
    p0 = ((torch.rand(N, generator=gen) * 2 - 1) * scale).to(torch.float32)
    param = torch.nn.Parameter(p0.clone())
    cls = torch.optim.AdamW if optimizer == "adamw" else torch.optim.Adam
    opt = cls([param], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=False,
              fused=False)
    gs = torch.tensor(grad_scale, dtype=torch.float32)
    steps = []
    for _ in range(STEPS):
        gscale = 10.0 ** (-4.0 * torch.rand(N, generator=gen))
        grad = (torch.randn(N, generator=gen) * gscale).to(torch.float32)
        grad[5] = 0.0
        grad[17] = 0.0
        param.grad = grad.clone() * gs  # fp32 product, as clip_grad_norm_'s grads.mul_(coef)
        opt.step()
        state = opt.state[param]
        steps.append({
            "grads": f32_list(grad),
            "params": f32_list(param),
            "exp_avg": f32_list(state["exp_avg"]),
            "exp_avg_sq": f32_list(state["exp_avg_sq"]),
            "sqrt_exp_avg_sq": f32_list(torch.sqrt(state["exp_avg_sq"])),
        })
    return {
        "name": name, "optimizer": optimizer, "lr": lr, "beta1": betas[0], "beta2": betas[1],
        "eps": eps, "weight_decay": weight_decay, "grad_scale": grad_scale,
        "params0": f32_list(p0), "steps": steps,
    }


def main():
    torch.set_num_threads(1)
    cases = [
        run_case("adamw_wd", "adamw", 1e-3, (0.9, 0.999), 1e-8, 0.01, 1.0, 1),
        run_case("adam_l2", "adam", 1e-3, (0.9, 0.999), 1e-8, 0.01, 1.0, 2),
        run_case("adamw_clipped", "adamw", 5e-5, (0.9, 0.999), 1e-8, 0.0, 0.37, 3),
        run_case("adam_beta1_0.3", "adam", 2e-3, (0.3, 0.99), 1e-6, 0.05, 1.0, 4),
    ]
    out = {
        "generator": "tests/data/kernels/make_adam_golden.py",
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cases": cases,
    }
    with open("adam_golden.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
