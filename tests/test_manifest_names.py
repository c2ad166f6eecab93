"""Output names of manifest entries outside the manifest's folder (issue 26): absolute paths (the
README's `find /data/amass -name '*.npz' > motions.txt`) and `../` paths mirror their path
relative to the deepest folder all such entries of the run share, instead of landing flat in
--out (where equal file names needed `~XXXXXXXX` tags)."""
from __future__ import annotations

import json
from pathlib import Path

from bad_inputs import good_amass
from conftest import run_cli
from headless.items import expand_inputs


def _corpus(root: Path, names: list[str]) -> list[Path]:
    paths = []
    for n in names:
        p = root / n
        p.parent.mkdir(parents=True, exist_ok=True)
        paths.append(good_amass(p, T=20))
    return paths


def _rels(manifest: Path, *more: Path) -> list[str]:
    return [str(i.rel) for i in expand_inputs([str(manifest), *map(str, more)])]


def test_absolute_entries_keep_their_path_below_the_common_folder(tmp_path):
    files = _corpus(tmp_path / "data" / "amass", ["CMU/01/01_01_poses.npz", "CMU/02/01_01_poses.npz",
                                                  "KIT/3/walk.npz"])
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "motions.txt").write_text("".join(f"{p}\n" for p in files))
    assert _rels(lists / "motions.txt") == ["CMU/01/01_01_poses", "CMU/02/01_01_poses", "KIT/3/walk"]
    # one folder only: the file names, as before
    (lists / "one.txt").write_text(f"{files[0]}\n")
    assert _rels(lists / "one.txt") == ["01_01_poses"]


def test_relative_outside_and_explicit_outputs(tmp_path):
    _corpus(tmp_path / "corpus", ["a/x.npz", "b/x.npz"])
    _corpus(tmp_path / "lists", ["here/y.npz"])
    man = tmp_path / "lists" / "m.jsonl"
    man.write_text("\n".join(json.dumps(o) for o in [
        {"input": "../corpus/a/x.npz"},                          # outside, relative: placed like absolute
        {"input": str(tmp_path / "corpus" / "b" / "x.npz")},     # outside, absolute
        {"input": "here/y.npz"},                                 # inside: relative to the manifest's folder
        {"input": "../corpus/b/x.npz", "output": "mine/z"},      # an explicit output wins
    ]) + "\n")
    assert _rels(man) == ["a/x", "b/x", "here/y", "mine/z"]


def test_common_folder_spans_every_manifest_of_the_run(tmp_path):
    a = _corpus(tmp_path / "data" / "amass", ["CMU/1/x.npz"])
    b = _corpus(tmp_path / "data" / "bandai", ["d1/x.npz"])
    for name, p in (("m1", a[0]), ("m2", b[0])):
        (tmp_path / "lists" / name).mkdir(parents=True)
        (tmp_path / "lists" / name / "list.txt").write_text(f"{p}\n")
    assert _rels(tmp_path / "lists" / "m1" / "list.txt", tmp_path / "lists" / "m2" / "list.txt") == [
        "amass/CMU/1/x", "bandai/d1/x"]


def test_bake_and_shards_write_the_mirrored_names(tmp_path):
    files = _corpus(tmp_path / "data", ["s1/walk.npz", "s2/walk.npz", "s2/run.npz"])
    man = tmp_path / "lists" / "motions.txt"    # not above the data: entries outside its folder
    man.parent.mkdir()
    man.write_text("".join(f"{p.resolve()}\n" for p in files))
    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    r = run_cli("bake", man, "--out", whole, "--sensors", "imu", "--engine", "fast", "--quiet")
    assert r.returncode == 0, r.stderr
    for i in range(2):
        r = run_cli("bake", man, "--out", sharded, "--sensors", "imu", "--engine", "fast", "--quiet",
                    "--shard", f"{i}/2")
        assert r.returncode == 0, r.stderr
    want = ["s1/walk.npz", "s2/run.npz", "s2/walk.npz"]
    for out in (whole, sharded):
        assert sorted(str(p.relative_to(out)) for p in out.rglob("*.npz")) == want
    r = run_cli("status", sharded)
    assert r.returncode == 0, r.stdout + r.stderr
