/**
 * Products for the randomised PCA solver (`pcaWithProducts`) by ONNX Runtime's matrix kernels: with the data,
 * A M by MatMul and Aᵀ Y by Gemm(transA) in float32, as scikit-learn computes them for float32 data (the solver
 * centres them in double); the Gram matrices and the products with small matrices of the orthonormalisation in
 * double. On the 70 000 × 784 Fashion-MNIST images this takes PCA to 50 components from about 16 s of
 * JavaScript loops to a few seconds.
 */
import * as ort from 'onnxruntime-node';
import type { DataProducts, MatrixProducts } from '../projection/randomized-pca.js';
import { DataType, encodeModel, makeModel, makeNode, makeValueInfo } from '../onnx/proto.js';

function productModel(
  node: ReturnType<typeof makeNode>,
  type: Parameters<typeof makeValueInfo>[2],
  right: string[],
): Uint8Array {
  return encodeModel(
    makeModel({
      opset: 13,
      nodes: [node],
      inputs: [makeValueInfo('left', ['r', 'c'], type), makeValueInfo('right', right, type)],
      outputs: [makeValueInfo('product', ['p', 'q'], type)],
    }),
  );
}

const MODELS = {
  // A M: left A (n × dim), right M (dim × l).
  times: () => productModel(makeNode('MatMul', ['left', 'right'], ['product']), DataType.FLOAT, ['c', 'l']),
  // Aᵀ Y: left A (n × dim), right Y (n × l).
  transposedTimes: () =>
    productModel(makeNode('Gemm', ['left', 'right'], ['product'], { transA: 1 }), DataType.FLOAT, ['r', 'l']),
  // Yᵀ Y: left and right the same Y.
  gram: () =>
    productModel(makeNode('Gemm', ['left', 'right'], ['product'], { transA: 1 }), DataType.DOUBLE, [
      'r',
      'c',
    ]),
  // Y S.
  multiply: () =>
    productModel(makeNode('MatMul', ['left', 'right'], ['product']), DataType.DOUBLE, ['c', 'l']),
};

/** `pcaWithProducts`'s products on `threads` ONNX Runtime threads (default: ORT's choice, every core). */
export function ortMatrixProducts(threads?: number): MatrixProducts {
  return async (data, n, dim): Promise<DataProducts> => {
    const settings = threads ? { intraOpNumThreads: threads } : {};
    const [times, transposedTimes, gram, multiply] = await Promise.all(
      [MODELS.times, MODELS.transposedTimes, MODELS.gram, MODELS.multiply].map((model) =>
        ort.InferenceSession.create(model(), settings),
      ),
    );
    const dataTensor = new ort.Tensor('float32', data, [n, dim]);
    const withData = async (session: ort.InferenceSession, factor: Float64Array, rows: number, l: number) => {
      const out = await session.run({
        left: dataTensor,
        right: new ort.Tensor('float32', Float32Array.from(factor), [rows, l]),
      });
      return Float64Array.from(out.product.data as Float32Array);
    };
    const inDouble = async (session: ort.InferenceSession, left: ort.Tensor, right: ort.Tensor) => {
      const out = await session.run({ left, right });
      return out.product.data as Float64Array;
    };
    return {
      times: (m, l) => withData(times, m, dim, l),
      transposedTimes: (y, l) => withData(transposedTimes, y, n, l),
      gram: (y, rows, l) => {
        const t = new ort.Tensor('float64', y, [rows, l]);
        return inDouble(gram, t, t);
      },
      multiply: (y, rows, l, s, c) =>
        inDouble(multiply, new ort.Tensor('float64', y, [rows, l]), new ort.Tensor('float64', s, [l, c])),
      release: async () => {
        await Promise.all([times, transposedTimes, gram, multiply].map((s) => s.release()));
      },
    };
  };
}
