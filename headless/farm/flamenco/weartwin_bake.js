// SPDX-License-Identifier: Apache-2.0
// Flamenco custom job type: bake WearTwin inputs on the farm, one task per shard.
// Works with Flamenco 3.3 and newer (the `exec` worker command, added in 3.3, runs Blender with
// no .blend file). For Flamenco 3.0-3.2 set "Worker command" to blender-render: that command
// needs a blend file before Flamenco 3.5, so the tasks open headless/farm/flamenco/empty.blend.
// Install: copy this file into the Manager's `scripts/` folder (next to the flamenco-manager
// executable), restart the Manager; submit from its web API (headless/farm/README.md).
// Each task runs:
//   {blender} --background --factory-startup --python-exit-code 1 [empty.blend]
//       --python <repo>/blender_scripts/bake.py -- <inputs> --out <out> --shard I/N [extra args]
// Shards are disjoint and together cover the inputs; finished outputs are skipped on re-run, so
// re-queueing a failed or cancelled job bakes only what is missing. `weartwin status <out>` tells
// what is done, failed, interrupted or missing (exit 0 only when complete).

const JOB_TYPE = {
  label: "WearTwin bake",
  description: "Simulate wrist IMU / bio-impedance signals from motion files (weartwin bake)",
  settings: [
    { key: "weartwin_root", type: "string", subtype: "dir_path", required: true,
      description: "WearTwin checkout, as seen by the Workers (holds blender_scripts/bake.py)" },
    { key: "inputs", type: "string", required: true,
      description: "Inputs as seen by the Workers: a manifest (.txt/.jsonl), folder or files (quoted like a shell)" },
    { key: "output_dir", type: "string", subtype: "dir_path", required: true,
      description: "Where the exports and summaries go (mirrors the inputs' paths)" },
    { key: "shards", type: "int32", default: 8, required: true,
      description: "Number of tasks the inputs are split into (--shard I/N)" },
    { key: "extra_args", type: "string", default: "",
      description: "More `weartwin bake` options, quoted like a shell: --fps 50 --label 'arm swing'" },
    { key: "worker_command", type: "string", default: "exec", choices: ["exec", "blender-render"],
      description: "exec: Flamenco 3.3+; blender-render: Flamenco 3.0-3.2 (opens empty.blend)" },
  ],
};

// Split a string into arguments like a POSIX shell does (quotes and backslashes; no expansion).
function splitArgs(text) {
  const out = [];
  let cur = "", inArg = false, quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = null; else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c; inArg = true;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i]; inArg = true;
    } else if (/\s/.test(c)) {
      if (inArg) { out.push(cur); cur = ""; inArg = false; }
    } else {
      cur += c; inArg = true;
    }
  }
  if (quote) throw `unbalanced ${quote} quote in: ${text}`;
  if (inArg) out.push(cur);
  return out;
}

function compileJob(job) {
  const s = job.settings;
  const n = Math.max(1, s.shards | 0);
  const root = s.weartwin_root;
  const script = path.join(root, "blender_scripts", "bake.py");
  const inputs = splitArgs(s.inputs);
  const extra = splitArgs(s.extra_args || "");
  if (inputs.length === 0) throw "no inputs given";
  if (extra.some((a) => a === "--shard" || a.startsWith("--shard=") || a === "--workers" || a.startsWith("--workers=")))
    throw "extra_args must not set --shard or --workers: the job splits the inputs into `shards` tasks";
  const before = ["--background", "--factory-startup", "--python-exit-code", "1"];
  for (let i = 0; i < n; i++) {
    const task = author.Task(`bake-shard-${i}-of-${n}`, "blender");
    const args = ["--python", script, "--", ...inputs, "--out", s.output_dir, "--shard", `${i}/${n}`,
                  "--quiet", ...extra];
    let cmd;
    if (s.worker_command === "blender-render") {
      cmd = author.Command("blender-render", {
        exe: "{blender}", exeArgs: "", argsBefore: before,
        blendfile: path.join(root, "headless", "farm", "flamenco", "empty.blend"),
        args: args,
      });
    } else {
      cmd = author.Command("exec", { exe: "{blender}", args: [...before, ...args] });
    }
    task.addCommand(cmd);
    job.addTask(task);
  }
}
