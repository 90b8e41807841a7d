using System.Diagnostics;
using System.Globalization;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.Reference;
using TinkerServer.Infrastructure.Compute.Reference.Kernels;

// Forward+backward throughput of the reference backend on the bench20m config (random weights), batch 4 x 128,
// LoRA rank 32 / alpha 32 on all 7 projections with non-zero B, cross-entropy (sum); plus KV-cache decode latency.
// Usage: dotnet run -c Release --project bench/TinkerServer.Benchmarks [threads=2] [runs=7]
var threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
Gemm.MaxThreads = threads;

var config = Qwen3Config.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "bench20m-config.json")));
var weights = BuiltInModels.Generate(config, 1234);
var adapter = LoraAdapter.Create(config, new LoraSettings(32, 32, 99, TrainAttn: true, TrainMlp: true, TrainUnembed: false));
var rng = new Xoshiro256StarStar(7);
foreach (var m in adapter.Modules)
{
    for (var i = 0; i < m.B.Length; i++)
    {
        m.B[i] = (float)(0.02 * rng.NextGaussian());
    }
}

var datums = new List<Datum>();
for (var d = 0; d < 4; d++)
{
    var seq = Enumerable.Range(0, 129).Select(_ => (int)(rng.NextUInt64() % (ulong)config.VocabSize)).ToArray();
    datums.Add(new Datum(seq[..128], new Dictionary<string, TensorData> { ["target_tokens"] = TensorData.FromInts([.. seq[1..].Select(t => (long)t)]) }));
}

var batch = new ForwardBackwardBatch(datums, LossFunctions.CrossEntropy, new Dictionary<string, double>());
var tokens = datums.Sum(d => d.ModelInput.Length);
Console.WriteLine($"bench20m: V={config.VocabSize} H={config.HiddenSize} L={config.NumLayers} heads={config.NumHeads}/{config.NumKvHeads} hd={config.HeadDim} I={config.IntermediateSize}; " +
                  $"LoRA params {adapter.Modules.Sum(m => (long)m.A.Length + m.B.Length):N0}; threads {threads}; {Environment.ProcessorCount} CPUs; AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}");

(double Wall, double Cpu) Time(Action action)
{
    var process = Process.GetCurrentProcess();
    var cpu0 = process.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    action();
    var wall = sw.Elapsed.TotalMilliseconds;
    process.Refresh();
    return (wall, (process.TotalProcessorTime - cpu0).TotalMilliseconds);
}

void Step(bool backward)
{
    var ev = LossEvaluator.Create(batch, config);
    Qwen3Engine.Run(weights, adapter, ev.Packed, ev.Targets, backward ? ev.Evaluate : null);
}

if (!args.Contains("--components"))
{
    Report("forward+backward", _ => Step(true), tokens);
    Report("forward only", _ => Step(false), tokens);
    GC.Collect();

    var prompt = Enumerable.Range(0, 32).Select(i => (int)((i * 7919L) % config.VocabSize)).ToArray();
    var decodeTokens = 64;
    var longRun = Report($"sample prefill 32 + decode {decodeTokens} (greedy)", _ =>
        Generation.Sample(weights, adapter, new SampleInput(prompt, 1, new SamplingParams(decodeTokens, 1, [], Temperature: 0), false, 0), CancellationToken.None), null);
    var shortRun = Report("sample prefill 32 + decode 1", _ =>
        Generation.Sample(weights, adapter, new SampleInput(prompt, 1, new SamplingParams(1, 1, [], Temperature: 0), false, 0), CancellationToken.None), null);
    Console.WriteLine($"decode latency per token (KV cache, batch 1): {(longRun.Wall - shortRun.Wall) / (decodeTokens - 1):F2} ms wall, {(longRun.Cpu - shortRun.Cpu) / (decodeTokens - 1):F2} ms cpu");
}

(double Wall, double Cpu) Report(string name, Action<int> action, int? tokenCount)
{
    for (var i = 0; i < 2; i++)
    {
        action(i);
    }

    var samples = Enumerable.Range(0, runs).Select(i => Time(() => action(i))).ToArray();
    var times = samples.Select(t => t.Wall).Order().ToArray();
    var cpu = samples.Select(t => t.Cpu).Order().ToArray();
    var median = times[times.Length / 2];
    var cpuMedian = cpu[cpu.Length / 2];
    var rate = tokenCount is { } n ? $"  {n / (median / 1000):F0} tok/s (cpu-time based: {n / (cpuMedian / threads / 1000):F0})" : string.Empty;
    Console.WriteLine($"{name,-40} median {median,8:F1} ms  (min {times[0]:F1}, max {times[^1]:F1}, n={runs}; cpu median {cpuMedian:F0} ms){rate}");
    return (median, cpuMedian);
}

if (args.Contains("--components"))
{
    Components();
}

void Components()
{
    var s = tokens;
    var h = config.HiddenSize;
    var lw = weights.Layers[0];
    var x = new float[s * h];
    for (var i = 0; i < x.Length; i++)
    {
        x[i] = (float)rng.NextGaussian();
    }

    var inter = new float[s * config.IntermediateSize];
    var outH = new float[s * h];
    var u = new float[]?[7];
    Report("NT gate fwd 512x384->1024", _ => Qwen3Engine.Linear(lw, null, 0, LoraTarget.Gate, x, s, null), null);
    Report("NT gate fwd + LoRA", _ => Qwen3Engine.Linear(lw, adapter, 0, LoraTarget.Gate, x, s, u), null);
    var g = Qwen3Engine.Linear(lw, null, 0, LoraTarget.Gate, x, s, null);
    var gate = lw[LoraTarget.Gate];
    Report("NT gate dX 512x1024->384", _ => Gemm.NT(g, 0, gate.Out, gate.Transposed, 0, gate.Out, outH, 0, gate.In, s, gate.In, gate.Out), null);
    Report("LoRA backward gate", _ => Qwen3Engine.LoraBackward(adapter[0, LoraTarget.Gate]!, adapter.Scaling, x, u[(int)LoraTarget.Gate]!, g, s, outH), null);
    Report("Transpose 512x1024", _ => Gemm.Transpose(g, s, config.IntermediateSize), null);
    var hF = x;
    var targets = new int[s];
    var gHF = new float[s * h];
    Report("head fwd", _ => LogProbHead.Run(weights, null, hF, s, targets, null, null), null);
    Report("head fwd+bwd", _ => LogProbHead.Run(weights, null, hF, s, targets, (r, lp) => -1f, gHF), null);
    var packed = new PackedBatch([.. datums.Select(d => d.ModelInput)]);
    var q = new float[s * config.QDim];
    var k = new float[s * config.KvDim];
    var v = new float[s * config.KvDim];
    for (var i = 0; i < q.Length; i++)
    {
        q[i] = (float)rng.NextGaussian();
    }

    for (var i = 0; i < k.Length; i++)
    {
        k[i] = (float)rng.NextGaussian();
        v[i] = (float)rng.NextGaussian();
    }

    var attn = new float[q.Length];
    var lse = new float[s * config.NumHeads];
    Report("attention fwd", _ => Attention.Forward(config, packed, q, k, v, attn, lse), null);
    Report("attention bwd", _ => Attention.Backward(config, packed, q, k, v, lse, attn, new float[q.Length], new float[k.Length], new float[v.Length]), null);
}
