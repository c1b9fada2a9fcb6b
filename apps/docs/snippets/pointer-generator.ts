// The pointer-generator (See et al., 2017) can output a word its vocabulary lacks: it copies it
// from the source through the attention weights. Here it learns to copy the name "Zurich".
import { PointerGenerator, pointerGeneratorLoss } from '@heed/attention';
import { Adam, Generator, embedding, noGrad, randn, tensor } from '@heed/tensor';

const vocabulary = ['<unk>', 'the', 'flight', 'to', 'was', 'late'];
const source = ['the', 'flight', 'to', 'Zurich', 'was', 'late'];
const oovs = source.filter((word) => !vocabulary.includes(word)); //      ['Zurich']
const idOf = (word: string): number => (vocabulary.includes(word) ? vocabulary.indexOf(word) : vocabulary.length + oovs.indexOf(word));
const sourceIds = tensor([source.map(idOf)], { dtype: 'int32' }); //      extended ids: Zurich = 6

// The encoder sees an OOV as <unk>; stand-in encoder outputs are word embeddings.
const generator = new Generator(3);
const table = randn([vocabulary.length, 8], { generator });
const encoderOutputs = embedding(tensor([source.map((word) => Math.max(0, vocabulary.indexOf(word)))], { dtype: 'int32' }), table); // [1, 6, 8]
const decoderStates = randn([1, 1, 6], { generator }); //                 [B, T, Ds] from your decoder
const decoderInputs = randn([1, 1, 4], { generator }); //                 [B, T, Dx]
const target = tensor([[idOf('Zurich')]], { dtype: 'int32' }); //         the reference summary word

const model = new PointerGenerator(8, 6, 4, vocabulary.length, { generator });
const optimizer = new Adam(model.parameters(), { lr: 0.1 });
for (let iteration = 0; iteration < 30; iteration++) {
  optimizer.zeroGrad();
  pointerGeneratorLoss(model.forward(encoderOutputs, decoderStates, decoderInputs, sourceIds), target).backward();
  optimizer.step();
}

const output = noGrad(() => model.forward(encoderOutputs, decoderStates, decoderInputs, sourceIds));
const best = output.logProbabilities.argmax(-1).item();
const extended = [...vocabulary, ...oovs];
console.log(`extended vocabulary: ${extended.join(' ')}`);
console.log(`predicted "${extended[best]}" with P = ${output.logProbabilities.max().exp().item().toFixed(2)}`);
console.log(`p_gen ${output.pGen.item().toFixed(2)}, attention on "Zurich" ${output.weights.reshape([6]).dataSync()[3].toFixed(2)}`);

// Output:
// extended vocabulary: <unk> the flight to was late Zurich
// ≈ predicted "Zurich" with P = 1.00
// ≈ p_gen 0.00, attention on "Zurich" 1.00
