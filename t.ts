import { getLlama, LlamaCompletion } from 'node-llama-cpp';
const llama = await getLlama({gpu:false});
const model = await llama.loadModel({modelPath: '/work/shared/models/stories260K.gguf'});
const ctx = await model.createContext({contextSize: 512, sequences: 1, threads: 1});
const c = new LlamaCompletion({contextSequence: ctx.getSequence()});
const r = await c.generateCompletionWithMeta('Once upon a time', {maxTokens: 40, temperature:0, customStopTriggers: [' little']});
console.log(JSON.stringify(r));
