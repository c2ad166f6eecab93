"""Batch items through the fast engine's torch batch (`Baker.bake_many`): many motions × bodies
per call, on the GPU when there is one. `runner.run_batch` hands items here when the fast engine
runs on cuda; results are the runner's per-item dicts (a bad item fails alone)."""
from __future__ import annotations

import json
import os
import time
import traceback
from pathlib import Path

from addon.config import BakeConfig

from .items import Item

ITEMS_PER_CALL = 256


def wants_batch(cfg: BakeConfig) -> bool:
    """The fast engine on a GPU: batching many clips pays; on a CPU the per-item numpy path wins."""
    from addon.bake import engine_for
    from addon.skinning.batch import resolve_device

    try:
        return engine_for(cfg) == "fast" and resolve_device(cfg.device) != "cpu"
    except ValueError:
        return False


def bake_items(todo: list[tuple[Item, str, dict]], use_torch: bool | None = None):
    """Yield one result dict per item (as `runner.bake_item` returns), `ITEMS_PER_CALL` at a time
    per config."""
    from addon.bake import Baker, BakeResult
    from addon.body.variants import variants_for
    from addon.motion import load_motion

    from .runner import describe_error, remove_stale_temp_files

    groups: dict[str, list] = {}
    for args in todo:
        d = {k: v for k, v in args[2].items() if k != "extra"}
        groups.setdefault(json.dumps(d, sort_keys=True, default=str), []).append(args)
    bakers: dict[str, Baker] = {}
    for key, group in groups.items():
        for start in range(0, len(group), ITEMS_PER_CALL):
            chunk = group[start:start + ITEMS_PER_CALL]
            cfg = BakeConfig(**chunk[0][2])
            baker = bakers.setdefault(key, Baker(cfg))
            t0 = time.perf_counter()
            pairs, owner, failed = [], [], {}
            for n, (item, out, cdict) in enumerate(chunk):
                try:
                    remove_stale_temp_files(item, Path(out), cfg)
                    motion = load_motion(item.input, source_fps=cfg.source_fps, bvh_map=cfg.bvh_map,
                                         bvh_scale=cfg.bvh_scale, bvh_skip_frames=cfg.bvh_skip_frames)
                    for v in variants_for(Path(item.input).stem, cfg.body, cfg.height, cfg.vary_body, cfg.seed):
                        pairs.append((motion, v))
                        owner.append(n)
                except Exception as e:  # noqa: BLE001 - a bad input fails alone
                    failed[n] = e
            recs = baker.bake_many(pairs, use_torch=use_torch)
            results = {n: BakeResult() for n in range(len(chunk))}
            for (motion, v), n, rec in zip(pairs, owner, recs):
                if n in failed:
                    continue
                if isinstance(rec, BaseException):
                    failed[n] = rec
                    continue
                item, out, cdict = chunk[n]
                extra = cdict.get("extra") or {}
                rec.meta["config"] = BakeConfig(**cdict).to_dict()   # its own labels (not in the hash)
                try:
                    baker.write_outputs(rec, item.input, Path(out) / item.rel, v, results[n],
                                        label=extra.get("label"), text=extra.get("text"))
                except Exception as e:  # noqa: BLE001
                    failed[n] = e
            share = (time.perf_counter() - t0) / max(len(chunk), 1)
            for n, (item, out, cdict) in enumerate(chunk):
                if n in failed:
                    if os.environ.get("WEARTWIN_DEBUG"):
                        traceback.print_exception(failed[n])
                    for p in results[n].outputs:   # nothing half-written: drop a failed item's files
                        Path(p).unlink(missing_ok=True)
                    yield {"status": "failed", "input": str(item.input), "rel": str(item.rel),
                           "reason": describe_error(item, failed[n]), "seconds": round(share, 3)}
                else:
                    r = results[n]
                    yield {"status": "done", "input": str(item.input), "rel": str(item.rel),
                           "config_hash": BakeConfig(**cdict).signal_hash(), "outputs": [str(p) for p in r.outputs],
                           "frames": r.frames, "seconds": round(share, 3)}
