// The human side of the deployment: deploy/README.md (how to run each artifact with llama.cpp and Ollama, with the
// measured figures) and the input of report.html. Both are made from the manifest and quality_report.json alone.

import { megabytes, percent } from '../util/format.ts';
import type { DeploymentPackage, QualityReport } from './deployment-package.ts';
import type { ReportInput } from './report-html.ts';

export type ManifestBody = Omit<DeploymentPackage, 'files'>;

const fixed = (x: number, digits = 2) => x.toFixed(digits);

export function reportInput(
  m: ManifestBody,
  q: QualityReport,
  lossCurves: ReportInput['lossCurves'],
  timings: Readonly<Record<string, number>>,
): ReportInput {
  const u = m.models.universal;
  return {
    title: `MeeTARA Lab deployment: ${m.models.individual_domains.length} domains, ${m.profile.name} profile`,
    created: m.created,
    profile: m.profile,
    sizes: m.sizes.map((s) => ({
      profile: s.profile,
      f16Bytes: s.f16_bytes,
      fullBytes: s.full_bytes,
      liteBytes: s.lite_bytes,
      nominalReduction: s.nominal_reduction,
      measured: s.measured,
    })),
    universal: {
      packBytes: u.pack.bytes,
      sumOfFullBytes: u.pack.sum_of_full_bytes,
      sharedTensors: u.pack.shared_tensors.identical,
      totalTensors: u.pack.shared_tensors.total,
      mergeMethod: u.merged.method,
      mergedFullBytes: u.merged.full.bytes,
      mergedLiteBytes: u.merged.lite.bytes,
    },
    router: q.router,
    domains: q.domains.map((d) => ({
      name: d.name,
      perplexity: {
        base: d.perplexity.base,
        full: d.perplexity.full,
        lite: d.perplexity.lite,
        pack: d.perplexity.pack,
        merged: d.perplexity.merged_full,
      },
      retention: { top1: d.retention.top1_agreement, meanKl: d.retention.mean_kl },
      empathy: { base: d.empathy.base.rate, tuned: d.empathy.tuned.rate },
    })),
    latency: q.latency.map((l) => ({
      model: l.model,
      short: l.kind,
      threads: l.threads,
      ttftP50Ms: l.ttft_ms_p50,
      ttftP95Ms: l.ttft_ms_p95,
      tokensPerSecond: l.tokens_per_second,
    })),
    claims: { retention: q.claims.retention, ttftMs: q.claims.ttft_ms },
    lossCurves,
    timings,
  };
}

/** deploy/README.md: what is here, how to run it, and what was measured. */
export function deployReadme(m: ManifestBody, q: QualityReport): string {
  const u = m.models.universal;
  const first = m.models.individual_domains[0];
  const domainRows = m.models.individual_domains.map((d) => {
    const dq = q.domains.find((x) => x.name === d.name);
    const p = dq?.perplexity;
    return `| ${d.name} | \`${d.full.file}\` ${megabytes(d.full.bytes)} | \`${d.lite.file}\` ${megabytes(d.lite.bytes)} | ${p ? `${fixed(p.base)} → ${fixed(p.full)} / ${fixed(p.lite)}` : ''} | ${dq ? percent(dq.retention.top1_agreement) : ''} |`;
  });
  const latencyRows = q.latency.map(
    (l) =>
      `| ${l.model} | ${fixed(l.ttft_ms_p50, 1)} | ${fixed(l.ttft_ms_p95, 1)} | ${fixed(l.tokens_per_second, 0)} |`,
  );
  const sizeRows = m.sizes.map(
    (s) =>
      `| ${s.profile}${s.measured ? ' (this run)' : ''} | ${s.full_type} / ${s.lite_type} | ${megabytes(s.f16_bytes)} | ${megabytes(s.full_bytes)} | ${megabytes(s.lite_bytes)} | ${percent(s.lite_reduction)} | ${percent(s.nominal_reduction)} |`,
  );
  return `# MeeTARA Lab deployment

Made by \`meetara compress\` on ${m.created} with the **${m.profile.name}** profile (full ${m.profile.full}, lite ${m.profile.lite}; ${m.profile.reason}).
Every figure below was measured in that run through llama.cpp, or computed from the files; \`deployment_package.json\` lists every file with its size and sha256, and \`report.html\` draws the charts.

## What is here

- \`domains/<domain>/\`: each domain's own model, full (${m.profile.full}) and lite (${m.profile.lite}), and an Ollama \`Modelfile\` for the lite one.
- \`universal/\`: **the shared-base pack**: one base (\`${u.pack.base.file}\`, ${megabytes(u.pack.base.bytes)}), every domain's LoRA adapter in \`universal/adapters/\`, \`router.json\`, an Ollama \`Modelfile.<domain>\` per domain and \`serve.sh\`.
  It takes ${megabytes(u.pack.bytes)} against ${megabytes(u.pack.sum_of_full_bytes)} for the ${m.models.individual_domains.length} full models: **${percent(u.pack.reduction)} smaller**. ${u.pack.shared_tensors.identical} of ${u.pack.shared_tensors.total} tensors are byte-identical in every domain model; the pack stores them once.
- \`merged/\`: **the merged universal model**: every domain's delta merged (${u.merged.method}${u.merged.density === null ? '' : `, density ${u.merged.density}`}) into one model, full (${megabytes(u.merged.full.bytes)}) and lite (${megabytes(u.merged.lite.bytes)}), with a \`Modelfile\`.
- \`quality_report.json\`, \`report.html\`, \`deployment_package.json\`.

## Run it

llama.cpp, one domain:

\`\`\`sh
llama-cli -m ${first ? first.lite.file : 'domains/<domain>/<model>.gguf'} -cnv
\`\`\`

llama.cpp, the pack: the base once, every adapter loaded; a request picks its domain's adapter (\`universal/serve.sh\` lists the ids, in \`router.json\`'s order):

\`\`\`sh
universal/serve.sh --port 8080
curl localhost:8080/v1/chat/completions -d '{"messages": [{"role": "user", "content": "I cannot sleep"}], "lora": [{"id": 0, "scale": 1}]}'
\`\`\`

\`router.json\` picks the domain for a message: TF-IDF over each domain's catalog keywords and training user turns, cosine similarity, highest wins (held-out routing accuracy ${percent(q.router.rate)}, ${q.router.correct} of ${q.router.total}).

Ollama:

\`\`\`sh
ollama create ${first ? `meetara-${first.name}` : 'meetara-domain'} -f ${first ? first.modelfile : 'domains/<domain>/Modelfile'}           # one domain's own model
ollama create ${first ? `meetara-${first.name}-pack` : 'meetara-pack'} -f universal/Modelfile.${first ? first.name : '<domain>'}   # the shared base + that domain's adapter
ollama create meetara-universal -f ${u.merged.modelfile}            # the merged model
\`\`\`

## Measured

Held-out perplexity (assistant tokens; base → full / lite) and lite's top-1 agreement with full:

| domain | full | lite | perplexity | top-1 |
|---|---|---|---|---|
${domainRows.join('\n')}

Lite keeps ${percent(q.retention.top1_agreement)} of full's top-1 predictions over ${q.retention.positions} positions (mean KL ${q.retention.mean_kl.toFixed(4)} nats); the original guide claimed ${percent(q.claims.retention[0])}–${percent(q.claims.retention[1])} "accuracy retention".

Latency on this machine (${m.hardware.cpu}, ${m.hardware.cores} cores), time to first token and decode rate of greedy replies to ${q.latency[0]?.prompts ?? 0} held-out prompts; the original guide claimed under ${q.claims.ttft_ms} ms. Perplexity, retention and empathy ran on ${q.threads} thread${q.threads > 1 ? 's' : ''}, the faster count here:

| model | first token p50 (ms) | p95 (ms) | tokens/s |
|---|---|---|---|
${latencyRows.join('\n')}

Sizes under each profile (exact, over all domains; the nominal column is the original guide's target, not a result):

| profile | types | F16 | full | lite | lite vs F16 | guide's nominal |
|---|---|---|---|---|---|---|
${sizeRows.join('\n')}
`;
}
