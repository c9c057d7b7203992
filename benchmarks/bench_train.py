"""One epoch of the real training recipe, three ways, in one run: the project's training as shipped before
(fp32, NCHW, fastai's DataLoader workers), the project's training now (settings.ini: precision auto,
channels_last; on a CPU the photos load in the training process), and a bare PyTorch loop with the same model,
data, augmentation and precision. The last line is JSON. Run it on an idle machine.

    .venv/bin/python benchmarks/bench_train.py [--data DIR] [--phase unfrozen|frozen] [--settings FILE]

Every way starts from the same fresh learner, warms up on a few batches (one-time kernel set-up), then times
one whole epoch: the training pass and the validation pass.
"""
import argparse, json, sys, time, warnings
from contextlib import nullcontext

def fresh(s, dls, phase: str):
    from fastai.vision.all import set_seed
    from cat_classifier.train import make_learner
    set_seed(s.seed, reproducible=True)
    learn = make_learner(dls, s.backbone, s.pretrained, s.label_smoothing)
    learn.unfreeze() if phase == 'unfrozen' else learn.freeze()
    return learn

def fastai_epoch(learn, cbs: list, lr: float, warmup: int=3) -> float:
    "Seconds for one `fit_one_cycle` epoch of `learn` with `cbs`, after `warmup` batches."
    from fastai.vision.all import Callback, CancelFitException
    from cat_classifier.train import FrozenBN
    class Stop(Callback):
        def after_batch(self):
            if self.iter + 1 >= warmup: raise CancelFitException()
    with learn.no_bar(), learn.no_logging():
        learn.fit(1, lr, cbs=cbs + [FrozenBN(), Stop()])
        start = time.perf_counter()
        learn.fit_one_cycle(1, slice(lr/100, lr), cbs=cbs + [FrozenBN()])
    return time.perf_counter() - start

def bare_epoch(learn, precision: str, channels_last: bool, lr: float, warmup: int=3) -> float:
    "Seconds for one epoch of a plain PyTorch loop over the same model, batches, loss and precision."
    import torch
    model, dls, loss_func = learn.model, learn.dls, learn.loss_func
    if channels_last: model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr, betas=(0.9, 0.99), eps=1e-5,
                            weight_decay=0.01)
    cast = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if precision == 'bf16' else nullcontext
    def train_pass(n=None):
        model.train()
        for m in model[0].modules():  # frozen batch norm, as the recipe trains
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm): m.eval()
        for i, (xb, yb) in enumerate(dls.train):
            if n is not None and i >= n: break
            with cast(): loss = loss_func(model(xb).float(), yb)
            loss.backward(); opt.step(); opt.zero_grad()
    train_pass(warmup)
    start = time.perf_counter()
    train_pass()
    model.eval()
    with torch.no_grad(), cast():
        for xb, yb in dls.valid: loss_func(model(xb).float(), yb)
    return time.perf_counter() - start

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', help='training photos, one folder per class (default: settings images_path)')
    p.add_argument('--phase', choices=['unfrozen', 'frozen'], default='unfrozen')
    p.add_argument('--settings', help='settings file (default: the project\'s settings.ini)')
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    from cat_classifier.core import load_settings
    from cat_classifier.data import DataConfig, get_dls
    from cat_classifier.train import speed_cbs
    s = load_settings(a.settings, images_path=a.data)
    dls = get_dls(s.images_path, DataConfig.from_settings(s))
    # As shipped before, the photos loaded in fastai's default worker processes (one per core, up to 16).
    from fastai.vision.all import defaults
    dls_before = get_dls(s.images_path, DataConfig.from_settings(s | dict(num_workers=defaults.cpus)))
    lr = s.lr or 3e-3
    print(f'{len(dls.train_ds)} training and {len(dls.valid_ds)} validation photos, {a.phase} epoch, '
          f'batch {dls.bs}, {s.size} px', flush=True)
    before = fastai_epoch(fresh(s, dls_before, a.phase), [], lr)
    print(f'before (fp32, NCHW, {dls_before.train.fake_l.num_workers} workers): {before:6.1f} s', flush=True)
    cbs, precision = speed_cbs(dls.device, s.get('precision', 'auto'), s.get('channels_last', True))
    now = fastai_epoch(fresh(s, dls, a.phase), cbs, lr)
    workers = dls.train.fake_l.num_workers
    print(f'now ({precision}, channels_last={s.get("channels_last", True)}, {workers} workers): {now:6.1f} s', flush=True)
    bare = bare_epoch(fresh(s, dls, a.phase), precision, s.get('channels_last', True), lr)
    print(f'bare PyTorch loop:          {bare:6.1f} s', flush=True)
    print(json.dumps(dict(epoch_s_before=round(before, 1), epoch_s_now=round(now, 1), epoch_s_bare_loop=round(bare, 1),
                          speedup=round(before/now, 2), overhead_vs_bare=round(now/bare, 3), precision=precision,
                          n_train=len(dls.train_ds), phase=a.phase)))

if __name__ == '__main__': sys.exit(main())
