/**
 * Reads what an ONNX graph computes at its outputs — the nodes, the I/O and the small constants —
 * without loading the weights: the file is walked field by field and large tensors are skipped by
 * seeking, so a 1 GB model costs a few milliseconds. Used to tell a metric depth head (Sigmoid × max
 * depth) from a relative one (ReLU), and a graph that inverts its own output (1 / x).
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  decodeMessage,
  onnxTypes,
  tensorValues,
  type OnnxAttributeObject,
  type OnnxNodeObject,
  type OnnxTensorObject,
  type OnnxValueInfoObject,
} from './onnx-proto.js';

export interface OnnxValueSummary {
  name: string;
  elemType: number;
  /** dimensions: a number when fixed, the symbolic name (or '?') when dynamic */
  dims: (number | string)[];
}

export interface OnnxNodeSummary {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttributeObject[];
}

export interface OnnxGraphSummary {
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  inputs: OnnxValueSummary[];
  outputs: OnnxValueSummary[];
  nodes: OnnxNodeSummary[];
  /** small constants by name (initializers ≤ 64 KB and Constant nodes), flattened */
  constants: Map<string, number[]>;
}

const SMALL_TENSOR_BYTES = 64 * 1024;
const WINDOW = 1 << 20;

/** Random-access reads with a 1 MiB window, so that thousands of small nodes cost few syscalls. */
class WindowedFile {
  private buf = Buffer.alloc(0);
  private start = 0;
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}
  async bytes(offset: number, length: number): Promise<Buffer> {
    if (offset >= this.start && offset + length <= this.start + this.buf.length) {
      return this.buf.subarray(offset - this.start, offset - this.start + length);
    }
    const want = Math.max(length, WINDOW);
    const b = Buffer.alloc(Math.min(want, this.size - offset));
    const { bytesRead } = await this.fh.read(b, 0, b.length, offset);
    this.buf = b.subarray(0, bytesRead);
    this.start = offset;
    if (bytesRead < length) throw new Error(`unexpected end of ONNX file at byte ${offset + bytesRead}`);
    return this.buf.subarray(0, length);
  }
  /** a varint at offset: its value (exact up to 2^53) and the offset after it */
  async varint(offset: number): Promise<[number, number]> {
    const b = await this.bytes(offset, Math.min(10, this.size - offset));
    let v = 0;
    let mul = 1;
    for (let i = 0; i < b.length; i++) {
      v += (b[i] & 0x7f) * mul;
      if ((b[i] & 0x80) === 0) return [v, offset + i + 1];
      mul *= 128;
    }
    throw new Error(`bad varint at byte ${offset}`);
  }
}

interface Field {
  field: number;
  wire: number;
  start: number;
  end: number;
  value?: number;
}

/** The fields of a message spanning [from, to): where each lies (length-delimited) or its varint value. */
async function* fieldsOf(f: WindowedFile, from: number, to: number): AsyncGenerator<Field> {
  let off = from;
  while (off < to) {
    const [tag, a] = await f.varint(off);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const [value, b] = await f.varint(a);
      yield { field, wire, start: a, end: b, value };
      off = b;
    } else if (wire === 1) {
      yield { field, wire, start: a, end: a + 8 };
      off = a + 8;
    } else if (wire === 5) {
      yield { field, wire, start: a, end: a + 4 };
      off = a + 4;
    } else if (wire === 2) {
      const [len, b] = await f.varint(a);
      yield { field, wire, start: b, end: b + len };
      off = b + len;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire} at byte ${off} (not an ONNX model?)`);
    }
    if (off > to) throw new Error('truncated ONNX message');
  }
}

function valueSummary(v: OnnxValueInfoObject): OnnxValueSummary {
  const tt = v.type?.tensorType;
  return {
    name: v.name ?? '',
    elemType: tt?.elemType ?? 0,
    dims: (tt?.shape?.dim ?? []).map((d) =>
      d.dimValue !== undefined && d.dimValue > 0 ? d.dimValue : d.dimParam || '?',
    ),
  };
}

/** The graph of an ONNX file: nodes, inputs, outputs, small constants; weights are skipped, not read. */
export async function readOnnxGraphSummary(path: string): Promise<OnnxGraphSummary> {
  const types = onnxTypes();
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const f = new WindowedFile(fh, size);
    const summary: OnnxGraphSummary = {
      irVersion: 0,
      producer: '',
      opsets: [],
      inputs: [],
      outputs: [],
      nodes: [],
      constants: new Map(),
    };
    const initializers = new Set<string>();
    let sawGraph = false;
    for await (const top of fieldsOf(f, 0, size)) {
      if (top.field === 1 && top.wire === 0) summary.irVersion = top.value ?? 0;
      else if (top.field === 2 && top.wire === 2)
        summary.producer = (await f.bytes(top.start, top.end - top.start)).toString('utf8');
      else if (top.field === 8 && top.wire === 2) {
        const o = decodeMessage<{ domain?: string; version?: number }>(
          types.OperatorSetIdProto,
          await f.bytes(top.start, top.end - top.start),
        );
        summary.opsets.push({ domain: o.domain ?? '', version: o.version ?? 0 });
      } else if (top.field === 7 && top.wire === 2) {
        sawGraph = true;
        for await (const g of fieldsOf(f, top.start, top.end)) {
          if (g.wire !== 2) continue;
          const len = g.end - g.start;
          if (g.field === 1) {
            const n = decodeMessage<OnnxNodeObject>(types.NodeProto, await f.bytes(g.start, len));
            summary.nodes.push({
              opType: n.opType ?? '',
              name: n.name ?? '',
              inputs: n.input ?? [],
              outputs: n.output ?? [],
              attributes: n.attribute ?? [],
            });
            if (n.opType === 'Constant') {
              const value = n.attribute?.find(
                (a) => a.name === 'value' || a.name === 'value_float' || a.name === 'value_floats',
              );
              const vals = value?.t
                ? tensorValues(value.t)
                : value?.floats?.length
                  ? value.floats
                  : value?.f !== undefined
                    ? [value.f]
                    : undefined;
              if (vals && n.output?.[0]) summary.constants.set(n.output[0], vals);
            }
          } else if (g.field === 5 && len <= SMALL_TENSOR_BYTES) {
            const t = decodeMessage<OnnxTensorObject>(types.TensorProto, await f.bytes(g.start, len));
            const vals = tensorValues(t);
            if (t.name) initializers.add(t.name);
            if (t.name && vals) summary.constants.set(t.name, vals);
          } else if (g.field === 5) {
            // a weight: read only its name (TensorProto field 8), seek past the data
            for await (const tf of fieldsOf(f, g.start, g.end)) {
              if (tf.field === 8 && tf.wire === 2)
                initializers.add((await f.bytes(tf.start, tf.end - tf.start)).toString('utf8'));
            }
          } else if (g.field === 11 || g.field === 12) {
            const v = decodeMessage<OnnxValueInfoObject>(types.ValueInfoProto, await f.bytes(g.start, len));
            (g.field === 11 ? summary.inputs : summary.outputs).push(valueSummary(v));
          }
        }
      }
    }
    if (!sawGraph) throw new Error('no graph in the file (not an ONNX model?)');
    // initializers may be listed among the inputs (IR < 4); they are not real inputs
    summary.inputs = summary.inputs.filter((i) => !initializers.has(i.name));
    return summary;
  } finally {
    await fh.close();
  }
}

/** Ops that only move or relabel values: a depth head is looked for behind them. */
const PASS_THROUGH = new Set(['Squeeze', 'Unsqueeze', 'Reshape', 'Identity', 'Cast', 'Flatten', 'Transpose']);

export interface OutputOrigin {
  /** the first op behind the output that computes something */
  node?: OnnxNodeSummary;
  /** op types from the output back to and including `node` */
  chain: string[];
}

/** The op that computes a graph output, looking behind reshapes and casts. */
export function originOf(summary: OnnxGraphSummary, outputName: string): OutputOrigin {
  const producer = new Map<string, OnnxNodeSummary>();
  for (const n of summary.nodes) for (const o of n.outputs) producer.set(o, n);
  const chain: string[] = [];
  let name = outputName;
  for (let hops = 0; hops < 16; hops++) {
    const n = producer.get(name);
    if (!n) return { chain };
    chain.push(n.opType);
    if (!PASS_THROUGH.has(n.opType)) return { node: n, chain };
    name = n.inputs[0];
  }
  return { chain };
}

/** The op producing a value (undefined for graph inputs and initializers). */
export function producerOf(summary: OnnxGraphSummary, valueName: string): OnnxNodeSummary | undefined {
  return summary.nodes.find((n) => n.outputs.includes(valueName));
}
