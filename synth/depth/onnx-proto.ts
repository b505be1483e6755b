/**
 * The few messages of onnx.proto that Vantage needs, as a protobufjs reflection descriptor: enough to
 * write a small model in code (fixtures/tiny-onnx.ts) and to read a graph's nodes and I/O (onnx-graph.ts)
 * without Python or the onnx package. Field numbers are those of onnx/onnx.proto (IR version 8+).
 */
import protobuf from 'protobufjs';

/** TensorProto.DataType values used here. */
export const ONNX_DTYPE = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values used here. */
export const ONNX_ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });

const DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            dataType: { type: 'int32', id: 2 },
            floatData: repeated('float', 4),
            int32Data: repeated('int32', 5),
            int64Data: repeated('int64', 7),
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: repeated('double', 10),
            docString: { type: 'string', id: 12 },
            externalData: repeated('StringStringEntryProto', 13),
            dataLocation: { type: 'int32', id: 14 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            strings: repeated('bytes', 9),
            docString: { type: 'string', id: 13 },
            type: { type: 'int32', id: 20 },
          },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: repeated('AttributeProto', 5),
            docString: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        TensorShapeProto: {
          fields: { dim: repeated('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: { type: 'int64', id: 1 },
                dimParam: { type: 'string', id: 2 },
                denotation: { type: 'string', id: 3 },
              },
            },
          },
        },
        TypeProto: {
          fields: { tensorType: { type: 'Tensor', id: 1 }, denotation: { type: 'string', id: 6 } },
          nested: {
            Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'TypeProto', id: 2 },
            docString: { type: 'string', id: 3 },
          },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: { type: 'string', id: 2 },
            initializer: repeated('TensorProto', 5),
            docString: { type: 'string', id: 10 },
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            valueInfo: repeated('ValueInfoProto', 13),
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: repeated('OperatorSetIdProto', 8),
            metadataProps: repeated('StringStringEntryProto', 14),
          },
        },
      },
    },
  },
};

export interface OnnxTypes {
  ModelProto: protobuf.Type;
  GraphProto: protobuf.Type;
  NodeProto: protobuf.Type;
  TensorProto: protobuf.Type;
  ValueInfoProto: protobuf.Type;
  OperatorSetIdProto: protobuf.Type;
}

/** The protobufjs types of the onnx.proto subset (a fresh Root each call: no module state). */
export function onnxTypes(): OnnxTypes {
  const root = protobuf.Root.fromJSON(DESCRIPTOR);
  const t = (n: string) => root.lookupType(`onnx.${n}`);
  return {
    ModelProto: t('ModelProto'),
    GraphProto: t('GraphProto'),
    NodeProto: t('NodeProto'),
    TensorProto: t('TensorProto'),
    ValueInfoProto: t('ValueInfoProto'),
    OperatorSetIdProto: t('OperatorSetIdProto'),
  };
}

/** Decoded messages as plain objects: int64 as number, bytes as Uint8Array, defaults omitted. */
export function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array): T {
  return type.toObject(type.decode(bytes), {
    longs: Number,
    bytes: Uint8Array as unknown as typeof String,
    arrays: true,
  }) as T;
}

/** Plain-object shapes of the decoded messages (the fields Vantage reads). */
export interface OnnxTensorObject {
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  name?: string;
  rawData?: Uint8Array;
}
export interface OnnxAttributeObject {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensorObject;
  floats?: number[];
  ints?: number[];
}
export interface OnnxNodeObject {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: OnnxAttributeObject[];
}
export interface OnnxValueInfoObject {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } };
}

/** Numeric contents of a small tensor (float, double, int32, int64; raw or typed fields), or undefined. */
export function tensorValues(t: OnnxTensorObject): number[] | undefined {
  const dt = t.dataType ?? 0;
  if (t.floatData?.length) return t.floatData;
  if (t.doubleData?.length) return t.doubleData;
  if (t.int32Data?.length) return t.int32Data;
  if (t.int64Data?.length) return t.int64Data;
  const raw = t.rawData;
  if (!raw || raw.length === 0) {
    // a scalar of value 0 may legitimately have no data fields at all
    return (t.dims ?? []).length === 0 && dt ? [] : undefined;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = [];
  if (dt === ONNX_DTYPE.FLOAT) for (let o = 0; o + 4 <= raw.length; o += 4) out.push(view.getFloat32(o, true));
  else if (dt === ONNX_DTYPE.DOUBLE) for (let o = 0; o + 8 <= raw.length; o += 8) out.push(view.getFloat64(o, true));
  else if (dt === ONNX_DTYPE.INT32) for (let o = 0; o + 4 <= raw.length; o += 4) out.push(view.getInt32(o, true));
  else if (dt === ONNX_DTYPE.INT64)
    for (let o = 0; o + 8 <= raw.length; o += 8) out.push(Number(view.getBigInt64(o, true)));
  else if (dt === ONNX_DTYPE.FLOAT16)
    for (let o = 0; o + 2 <= raw.length; o += 2) out.push(halfToFloat(view.getUint16(o, true)));
  else return undefined;
  return out;
}

/** IEEE 754 half-precision bits → number (float16 tensors and initialisers). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
