"""The driver: turns work into jobs, hands them to an executor, stores results as they arrive.

Only the driver writes to the run store. Each result is committed when it arrives, so killing
the driver (even with SIGKILL) loses at most the jobs still running; the same command again
skips every stored result and runs the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tqdm.auto import tqdm

from zcphar.checkpoint import write_atomic
from zcphar.store import RunStore
from zcphar.train import TrainConfig


def run_jobs(
    jobs: list[dict[str, Any]],
    executor,
    on_result: Callable[[dict, dict], None],
    *,
    desc: str = "jobs",
    progress: bool = True,
) -> None:
    """Run `jobs` on `executor`, calling ``on_result(job, result)`` as each one finishes."""
    with tqdm(total=len(jobs), desc=desc, unit="job", disable=not progress) as bar:
        for index, result in executor.run(jobs):
            on_result(jobs[index], result)
            bar.update()


def train_jobs(
    specs: list,
    data: dict[str, Any],
    config: TrainConfig,
    *,
    device: str = "cpu",
    seed: int | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """One training job per spec (see `zcphar.execute.jobs` for the job layout)."""
    return [
        {
            "kind": "train",
            "data": data,
            "spec": spec.to_dict(),
            "config": config.to_dict(),
            "seed": seed,
            "device": device,
            "progress": progress,
        }
        for spec in specs
    ]


def train_architectures(
    store: RunStore,
    specs: list,
    data: dict[str, Any],
    config: TrainConfig,
    executor,
    *,
    preset: str | None = None,
    device: str = "cpu",
    retry_failed: bool = False,
    progress: bool = True,
) -> dict[str, int]:
    """Train every spec not yet trained with `config` in `store`, storing results as they come.

    Args:
        store: the run store (architectures must already be added).
        specs: the architectures to train.
        data: a `zcphar.execute.jobs.data_ref` naming the prepared dataset.
        config: training settings; its hash keys the stored results.
        executor: from `get_executor` (already entered).
        preset: the preset name recorded with each row.
        device: where each job trains.
        retry_failed: also re-run architectures whose stored training failed.
        progress: show a bar over jobs (and over epochs when one job runs in-process).

    Returns:
        Counts: ``skipped`` (already stored), ``ok`` and ``failed`` (this call).
    """
    config_hash = config.hash()
    done = store.done_trainings(config_hash, include_failed=not retry_failed)
    todo = list({s.id: s for s in specs if s.id not in done}.values())  # each id once
    per_epoch = progress and len(todo) == 1 and getattr(executor, "in_process", False)
    jobs = train_jobs(todo, data, config, device=device, seed=config.seed, progress=per_epoch)
    counts = {"skipped": len(specs) - len(todo), "ok": 0, "failed": 0}

    def store_result(job: dict, result: dict) -> None:
        arch_id = result.get("arch_id") or _spec_id(job)
        checkpoint = None
        if not result.get("error"):
            checkpoint = store.checkpoint_path(arch_id, config_hash)
            write_atomic(checkpoint, result.pop("checkpoint"))
        store.add_training(
            arch_id, config_hash, result, preset=preset, config=job["config"], checkpoint=checkpoint
        )
        counts["failed" if result.get("error") else "ok"] += 1

    run_jobs(jobs, executor, store_result, desc="train", progress=progress)
    return counts


def score_architectures(
    store: RunStore,
    specs: list,
    data: dict[str, Any],
    executor,
    *,
    proxies: list[str] | None = None,
    coverage: str = "extended",
    dropout: str = "off",
    batch_size: int = 256,
    batch_seed: int = 0,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
) -> dict[str, int]:
    """Score every spec whose proxies are not all stored yet, storing rows as they arrive.

    Args:
        store: the run store.
        specs: the architectures to score.
        data: a `zcphar.execute.jobs.data_ref` naming the prepared dataset.
        executor: from `get_executor` (already entered).
        proxies: proxy names (None: every registered proxy).
        coverage, dropout: the scoring choices (see PROXIES.md).
        batch_size, batch_seed: the pool's fixed batch drawn from the training split.
        seed: initial-weight seed of every architecture.
        device: where each job scores.
        progress: show a bar over jobs.

    Returns:
        Counts: ``skipped`` (already stored), ``ok`` and ``failed`` (jobs of this call). A proxy
        that fails inside a job is stored as NaN with its reason (a result: not retried); a job
        that fails as a whole stores nothing and runs again next time.
    """
    from zcphar.execute.jobs import load_data
    from zcphar.proxies.engine import resolve_names

    names = resolve_names(proxies, has_val=True)
    stored_size = min(batch_size, len(load_data(data).train))  # a small split gives all windows
    done = store.done_scores(names, coverage=coverage, dropout=dropout, batch_size=stored_size)
    todo = list({s.id: s for s in specs if s.id not in done}.values())  # a spec once
    job = {
        "kind": "score",
        "data": data,
        "proxies": names,
        "coverage": coverage,
        "dropout": dropout,
        "batch_size": batch_size,
        "batch_seed": batch_seed,
        "seed": seed,
        "device": device,
    }
    jobs = [{**job, "spec": spec.to_dict()} for spec in todo]
    counts = {"skipped": len(specs) - len(todo), "ok": 0, "failed": 0}

    def store_result(job: dict, result: dict) -> None:
        if result.get("error"):  # the job itself failed (worker died): rerun next time
            counts["failed"] += 1
            tqdm.write(f"score {_spec_id(job)} failed: {result['error']}")
            return
        store.add_scores(result["rows"])
        counts["ok"] += 1

    run_jobs(jobs, executor, store_result, desc="score", progress=progress)
    return counts


def _spec_id(job: dict[str, Any]) -> str:
    from zcphar.space import spec_from_dict

    return spec_from_dict(job["spec"]).id
