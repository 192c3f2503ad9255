// A character-level language model in plain JavaScript: the previous `context` characters are embedded,
// concatenated, passed through one tanh hidden layer and a softmax over the vocabulary. Trained with Adam for a
// fixed number of steps, then scored on held-out text in bits per byte (lower is better).
// No dependencies: run it with `node train.js`.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const startedAt = performance.now();
const here = dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(readFileSync(join(here, "config.json"), "utf8"));

const learningRate = positive("learning_rate", config.learning_rate);
const hiddenSize = integer("hidden_size", config.hidden_size);
const embeddingSize = integer("embedding_size", config.embedding_size);
const context = integer("context", config.context);
const batchSize = integer("batch_size", config.batch_size);
const initScale = positive("init_scale", config.init_scale);
const steps = integer("steps", config.steps);
const seed = Math.trunc(Number(config.seed ?? 1));

function positive(name, value) {
  if (typeof value !== "number" || !(value > 0)) throw new Error(`config.json: ${name} must be a number > 0`);
  return value;
}
function integer(name, value) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`config.json: ${name} must be an integer >= 1`);
  return value;
}

// The corpus is split by position: the last tenth is never trained on.
const text = readFileSync(join(here, "data", "corpus.txt"), "utf8");
const split = Math.floor(text.length * 0.9);
const trainText = text.slice(0, split);
const validationText = text.slice(split);
const validationBytes = Buffer.byteLength(validationText, "utf8");

// Index 0 is the padding symbol that stands for "before the start of the text".
const alphabet = [...new Set(text)].sort();
const vocabularySize = alphabet.length + 1;
const indexOf = new Map(alphabet.map((character, index) => [character, index + 1]));
const encode = (part) => Int32Array.from(part, (character) => indexOf.get(character));
const trainTokens = encode(trainText);
const validationTokens = encode(validationText);

// mulberry32: small, fast and the same on every platform, so a config always gives the same number.
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function gaussian() {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const inputSize = context * embeddingSize;
const parameters = {
  embedding: new Float64Array(vocabularySize * embeddingSize),
  w1: new Float64Array(hiddenSize * inputSize),
  b1: new Float64Array(hiddenSize),
  w2: new Float64Array(vocabularySize * hiddenSize),
  b2: new Float64Array(vocabularySize),
};
for (let i = 0; i < parameters.embedding.length; i++) parameters.embedding[i] = gaussian() * initScale;
for (let i = 0; i < parameters.w1.length; i++)
  parameters.w1[i] = (gaussian() * initScale) / Math.sqrt(inputSize);
for (let i = 0; i < parameters.w2.length; i++)
  parameters.w2[i] = (gaussian() * initScale) / Math.sqrt(hiddenSize);
const names = Object.keys(parameters);
const gradients = Object.fromEntries(names.map((name) => [name, new Float64Array(parameters[name].length)]));
const firstMoments = Object.fromEntries(
  names.map((name) => [name, new Float64Array(parameters[name].length)]),
);
const secondMoments = Object.fromEntries(
  names.map((name) => [name, new Float64Array(parameters[name].length)]),
);
const parameterCount = names.reduce((sum, name) => sum + parameters[name].length, 0);

const input = new Float64Array(inputSize);
const hidden = new Float64Array(hiddenSize);
const logits = new Float64Array(vocabularySize);
const hiddenGradient = new Float64Array(hiddenSize);
const inputGradient = new Float64Array(inputSize);
const window = new Int32Array(context);

function gather(tokens, position) {
  for (let j = 0; j < context; j++) {
    const source = position - context + j;
    window[j] = source >= 0 ? tokens[source] : 0;
  }
  const { embedding } = parameters;
  for (let j = 0; j < context; j++) {
    const row = window[j] * embeddingSize;
    for (let e = 0; e < embeddingSize; e++) input[j * embeddingSize + e] = embedding[row + e];
  }
}

// Returns the cross-entropy in nats of predicting `target`; leaves the softmax in `logits`.
function forward(target) {
  const { w1, b1, w2, b2 } = parameters;
  for (let h = 0; h < hiddenSize; h++) {
    let sum = b1[h];
    const row = h * inputSize;
    for (let i = 0; i < inputSize; i++) sum += w1[row + i] * input[i];
    hidden[h] = Math.tanh(sum);
  }
  let max = -Infinity;
  for (let v = 0; v < vocabularySize; v++) {
    let sum = b2[v];
    const row = v * hiddenSize;
    for (let h = 0; h < hiddenSize; h++) sum += w2[row + h] * hidden[h];
    logits[v] = sum;
    if (sum > max) max = sum;
  }
  let total = 0;
  for (let v = 0; v < vocabularySize; v++) {
    logits[v] = Math.exp(logits[v] - max);
    total += logits[v];
  }
  for (let v = 0; v < vocabularySize; v++) logits[v] /= total;
  return -Math.log(logits[target]);
}

function backward(target, scale) {
  const { w1, w2 } = parameters;
  const g = gradients;
  hiddenGradient.fill(0);
  for (let v = 0; v < vocabularySize; v++) {
    const delta = (logits[v] - (v === target ? 1 : 0)) * scale;
    g.b2[v] += delta;
    const row = v * hiddenSize;
    for (let h = 0; h < hiddenSize; h++) {
      g.w2[row + h] += delta * hidden[h];
      hiddenGradient[h] += delta * w2[row + h];
    }
  }
  inputGradient.fill(0);
  for (let h = 0; h < hiddenSize; h++) {
    const delta = hiddenGradient[h] * (1 - hidden[h] * hidden[h]);
    g.b1[h] += delta;
    const row = h * inputSize;
    for (let i = 0; i < inputSize; i++) {
      g.w1[row + i] += delta * input[i];
      inputGradient[i] += delta * w1[row + i];
    }
  }
  for (let j = 0; j < context; j++) {
    const row = window[j] * embeddingSize;
    for (let e = 0; e < embeddingSize; e++) g.embedding[row + e] += inputGradient[j * embeddingSize + e];
  }
}

const beta1 = 0.9;
const beta2 = 0.99;
function adam(step) {
  // Linear decay to a tenth of the rate over the run: large early steps, fine ones at the end.
  const rate = learningRate * (1 - (0.9 * (step - 1)) / steps);
  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;
  for (const name of names) {
    const p = parameters[name];
    const g = gradients[name];
    const m = firstMoments[name];
    const s = secondMoments[name];
    for (let i = 0; i < p.length; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      s[i] = beta2 * s[i] + (1 - beta2) * g[i] * g[i];
      p[i] -= (rate * (m[i] / correction1)) / (Math.sqrt(s[i] / correction2) + 1e-8);
    }
    g.fill(0);
  }
}

let peakRss = process.memoryUsage().rss;
const trainingStartedAt = performance.now();
let recentLoss = 0;
for (let step = 1; step <= steps; step++) {
  let loss = 0;
  for (let b = 0; b < batchSize; b++) {
    const position = 1 + Math.floor(random() * (trainTokens.length - 1));
    gather(trainTokens, position);
    const target = trainTokens[position];
    loss += forward(target);
    backward(target, 1 / batchSize);
  }
  adam(step);
  recentLoss = 0.9 * recentLoss + 0.1 * (loss / batchSize);
  if (step % 100 === 0 || step === steps) {
    const smoothed = recentLoss / (1 - 0.9 ** step);
    console.log(`step ${String(step).padStart(5)}/${steps}  train_loss ${smoothed.toFixed(4)}`);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
}
const trainingSeconds = (performance.now() - trainingStartedAt) / 1000;

let nats = 0;
for (let position = 0; position < validationTokens.length; position++) {
  gather(validationTokens, position);
  nats += forward(validationTokens[position]);
}
const bitsPerByte = nats / Math.LN2 / validationBytes;
peakRss = Math.max(peakRss, process.memoryUsage().rss);

if (!Number.isFinite(bitsPerByte)) {
  console.error("val_bpb is not finite: training diverged");
  process.exit(1);
}
console.log("---");
console.log(`val_bpb:          ${bitsPerByte.toFixed(6)}`);
console.log(`training_seconds: ${trainingSeconds.toFixed(1)}`);
console.log(`total_seconds:    ${((performance.now() - startedAt) / 1000).toFixed(1)}`);
console.log(`peak_memory_mb:   ${(peakRss / 1024 / 1024).toFixed(1)}`);
console.log(`num_steps:        ${steps}`);
console.log(`num_params:       ${parameterCount}`);
