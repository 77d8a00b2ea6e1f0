// Cold start of transformers.js for bench/peers/transformers-js.ts: a fresh process loads the
// folder, answers one token greedily and prints it, as `owm run --max-tokens 1` does. Plain
// JavaScript, so that no TypeScript loader adds to the start-up being measured.
// Argument: JSON {dir, dtype, prompt, sessionOptions}.
import { AutoModelForCausalLM, AutoTokenizer, env, TextStreamer } from '@huggingface/transformers';

const { dir, dtype, prompt, sessionOptions } = JSON.parse(process.argv[2]);
env.allowRemoteModels = false;
const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
const model = await AutoModelForCausalLM.from_pretrained(dir, { local_files_only: true, dtype, session_options: sessionOptions });
const inputs = tokenizer(prompt);
await model.generate({ ...inputs, max_new_tokens: 1, do_sample: false, streamer: new TextStreamer(tokenizer, { skip_prompt: true }) });
process.stdout.write('\n');
