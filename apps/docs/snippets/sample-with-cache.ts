// Sampling a token at a time through the key/value caches gives the logits of a full pass.
import { Generator, Vocabulary, noGrad, tensor } from '@heed/tensor';
import { TinyGPT } from './language-model';

const vocabulary = Vocabulary.fromText('the cat sat on the mat');
const model = new TinyGPT({ vocabSize: vocabulary.size, contextLength: 32, dModel: 16, nhead: 2, numLayers: 2, generator: new Generator(1) });
const ids = vocabulary.encode('the cat', { addBos: true }); // [<bos>, t, h, e, ' ', c, a, t]

noGrad(() => {
  // One causal pass over the whole prefix: [1, T, V], position t predicts token t + 1.
  const full = model.forward(tensor([ids], { dtype: 'int32' }));
  // The same, one token at a time: each call appends its keys and values to the caches.
  const caches = model.createCaches();
  let largest = 0;
  ids.forEach((id, t) => {
    const step = model.forward(tensor([[id]], { dtype: 'int32' }), caches); // [1, 1, V]
    const expected = full.slice(1, t, t + 1);
    largest = Math.max(largest, step.sub(expected).abs().max().item());
  });
  console.log(`full pass [${full.shape.join(', ')}], ${caches[0].length} cached positions per block`);
  console.log(`cached logits match the full pass: ${largest < 1e-5}`);
});

// Output:
// full pass [1, 8, 14], 8 cached positions per block
// cached logits match the full pass: true
