// Transformer layers with PyTorch's names: build, run with masks, save and load a state dict.
import { Transformer, TransformerEncoder, TransformerEncoderLayer } from '@heed/attention';
import { Generator, LayerNorm, loadSafetensors, randn, saveSafetensors, tensor } from '@heed/tensor';

const generator = new Generator(0);
const layer = new TransformerEncoderLayer(32, 4, { dimFeedforward: 64, dropout: 0.1, normFirst: true, activation: 'gelu', generator });
const encoder = new TransformerEncoder(layer, 2, { norm: new LayerNorm(32) }).eval(); // eval(): no dropout

const src = randn([2, 6, 32], { generator }); // [B=2, L=6, E=32]
const padding = tensor([[false, false, false, false, true, true], [false, false, false, false, false, false]]); // true = padding, as PyTorch
const encoded = encoder.forward(src, { srcKeyPaddingMask: padding });
console.log(`encoded [${encoded.shape.join(', ')}]`);
console.log(Object.keys(encoder.stateDict()).slice(0, 3).join(', '));

// A state dict round trip through safetensors, as a PyTorch model saved with
// safetensors.torch.save_file(model.state_dict(), path) would load.
const bytes = saveSafetensors(encoder.stateDict());
const copy = new TransformerEncoder(new TransformerEncoderLayer(32, 4, { dimFeedforward: 64, normFirst: true, activation: 'gelu' }), 2, { norm: new LayerNorm(32) }).eval();
copy.loadStateDict(loadSafetensors(bytes)); // strict: every name must match
const again = copy.forward(src, { srcKeyPaddingMask: padding });
console.log(`same output after loading: ${again.sub(encoded).abs().max().item() === 0}`);

// The full encoder–decoder, with PyTorch's causal target mask.
const model = new Transformer({ dModel: 32, nhead: 4, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 64, dropout: 0 });
const tgt = randn([2, 3, 32], { generator });
const out = model.forward(src, tgt, { tgtMask: Transformer.generateSquareSubsequentMask(3), srcKeyPaddingMask: padding, memoryKeyPaddingMask: padding });
console.log(`decoded [${out.shape.join(', ')}]`);

// Output:
// encoded [2, 6, 32]
// layers.0.self_attn.in_proj_weight, layers.0.self_attn.in_proj_bias, layers.0.self_attn.out_proj.weight
// same output after loading: true
// decoded [2, 3, 32]
