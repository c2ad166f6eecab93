// Compile a Flamenco job type file with node and print its tasks as JSON (tests/test_farm.py).
// Provides the part of Flamenco's job-compiler API a job type uses: author.Task/Command, job.addTask,
// path.join. Usage: node flamenco_compile.js JOBTYPE.js SETTINGS.json
const fs = require("fs");
const vm = require("vm");
const nodePath = require("path");
const [file, settingsFile] = process.argv.slice(2);
const tasks = [];
const author = {
  Task: (name, type) => ({ name, type, commands: [], addCommand(c) { this.commands.push(c); } }),
  Command: (name, params) => ({ name, parameters: params }),
};
const ctx = { author, path: { join: (...p) => nodePath.posix.join(...p) }, print: () => {} };
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(file, "utf8") + "\nthis.JOB_TYPE = JOB_TYPE; this.compileJob = compileJob;", ctx);
const settings = JSON.parse(fs.readFileSync(settingsFile, "utf8"));
for (const s of ctx.JOB_TYPE.settings) if (!(s.key in settings) && "default" in s) settings[s.key] = s.default;
try {
  ctx.compileJob({ settings, addTask: (t) => tasks.push({ name: t.name, type: t.type, commands: t.commands }) });
} catch (e) {
  console.log(JSON.stringify({ error: String(e) }));
  process.exit(0);
}
console.log(JSON.stringify({ tasks }));
