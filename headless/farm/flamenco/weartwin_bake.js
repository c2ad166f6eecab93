// SPDX-License-Identifier: Apache-2.0
// Flamenco custom job type: bake a WearTwin manifest on the farm, one task per shard.
// Install: copy this file into the Flamenco Manager's `scripts/` folder and restart it.
// Each task runs:
//   blender --background --python <repo>/blender_scripts/bake.py -- <manifest> --out <out>
//           --shard I/N [extra args]
// Shards are disjoint and together cover the manifest; finished outputs are skipped on re-run,
// so re-queueing a failed or cancelled job only bakes what is missing.

const JOB_TYPE = {
  label: "WearTwin bake",
  description: "Simulate wrist IMU / bio-impedance signals from a manifest of motion files",
  settings: [
    { key: "weartwin_root", type: "string", subtype: "dir_path", required: true,
      description: "WearTwin checkout, as seen by the Workers (holds blender_scripts/bake.py)" },
    { key: "manifest", type: "string", subtype: "file_path", required: true,
      description: "Manifest of motion files (.txt, one path per line, or .jsonl)" },
    { key: "output_dir", type: "string", subtype: "dir_path", required: true,
      description: "Where the exports and summary files go (mirrors the inputs' paths)" },
    { key: "shards", type: "int32", default: 8, required: true,
      description: "Number of tasks the manifest is split into" },
    { key: "extra_args", type: "string", default: "",
      description: "More `weartwin bake` options, e.g. --vary-body 5 --fps 50" },
  ],
};

function compileJob(job) {
  const s = job.settings;
  const n = Math.max(1, s.shards | 0);
  const script = path.join(s.weartwin_root, "blender_scripts", "bake.py");
  const extra = s.extra_args ? s.extra_args.split(/\s+/).filter((x) => x.length > 0) : [];
  for (let i = 0; i < n; i++) {
    const task = author.Task(`bake-shard-${i}-of-${n}`, "blender");
    const cmd = author.Command("blender-render", {
      exe: "{blender}",
      exeArgs: "{blenderArgs}",
      argsBefore: ["--background", "--python-exit-code", "1"],
      blendfile: "",
      args: ["--python", script, "--", s.manifest, "--out", s.output_dir,
             "--shard", `${i}/${n}`, "--quiet", ...extra],
    });
    task.addCommand(cmd);
    job.addTask(task);
  }
}
