// Wraps cairn's synthesized templates (CfnInclude) in a throwaway CDK app and runs cdk-nag's
// AwsSolutions pack: the outside yardstick of docs/policy-checks.md (not part of `make test`).
// Setup once: cd scripts/cdk-nag && npm install --no-save aws-cdk-lib@2 constructs@10 cdk-nag@2
// Run: cargo run -- synth --all --out /tmp/ck && node scripts/cdk-nag/app.js /tmp/ck  (SHOW=IAM5 lists one rule's findings)
const cdk = require('aws-cdk-lib');
const { CfnInclude } = require('aws-cdk-lib/cloudformation-include');
const { AwsSolutionsChecks } = require('cdk-nag');
const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
const app = new cdk.App({ outdir: fs.mkdtempSync('/tmp/nag-out-') });
const findings = [];
const logger = {
  onCompliance() {}, onNonCompliance(d) { if (process.env.SHOW && d.ruleId.includes(process.env.SHOW)) console.log('  ', d.ruleId, d.resource.node.path, d.findingId); findings.push({ env: d.resource.node.path.split('/')[0], rule: d.ruleId, res: d.resource.node.path, level: d.ruleLevel }); },
  onSuppressed() {}, onError(d) { findings.push({ env: d.resource.node.path.split('/')[0], rule: d.ruleId + ' (error)', res: d.resource.node.path }); },
  onSuppressedError() {}, onNotApplicable() {},
};
for (const env of fs.readdirSync(dir)) {
  const envDir = path.join(dir, env);
  if (!fs.existsSync(path.join(envDir, 'manifest.json'))) continue;
  for (const f of fs.readdirSync(envDir).filter(f => f.endsWith('.template.json'))) {
    const stack = new cdk.Stack(app, `${env}-${f.replace('.template.json', '')}`);
    new CfnInclude(stack, 'T', { templateFile: path.join(envDir, f) });
  }
}
cdk.Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true, additionalLoggers: [logger], reports: false, logIgnores: false }));
app.synth();
const byEnv = {};
for (const f of findings) { const e = f.res.split('-')[0]; byEnv[e] = byEnv[e] || {}; byEnv[e][f.rule] = (byEnv[e][f.rule] || 0) + 1; }
let total = 0;
for (const [e, rules] of Object.entries(byEnv)) {
  const n = Object.values(rules).reduce((a, b) => a + b, 0); total += n;
  console.log(e, n, JSON.stringify(rules));
}
console.log('total', total);
