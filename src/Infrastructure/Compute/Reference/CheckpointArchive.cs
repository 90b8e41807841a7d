using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.SafeTensors;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>
/// Checkpoint archives (gzip'd tar). Training: the PEFT adapter, optimizer.safetensors (exp_avg / exp_avg_sq per
/// LoRA key, step in __metadata__) and tinker_checkpoint.json (format version, base model, LoRA config, step).
/// Sampler: the PEFT adapter plus an empty checkpoint_complete marker. Reading accepts gzip or plain tar.
/// </summary>
internal static class CheckpointArchive
{
    public const int FormatVersion = 1;
    public const string MetadataFile = "tinker_checkpoint.json";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string CompleteMarker = "checkpoint_complete";

    /// <summary>Archives larger than this are refused (they are read into memory).</summary>
    public const long MaxArchiveBytes = int.MaxValue;

    /// <summary>Bound on the unpacked size of all entries together (guards against decompression bombs).</summary>
    public const long MaxUnpackedBytes = int.MaxValue;

    public sealed record TrainingCheckpoint(LoraAdapter Adapter, string BaseModel, long Step, bool HasOptimizer);

    public static void WriteTraining(Stream destination, LoraAdapter adapter, string baseModel)
    {
        var s = adapter.Settings;
        var meta = new JsonObject
        {
            ["format_version"] = FormatVersion,
            ["kind"] = "training",
            ["base_model"] = baseModel,
            ["lora_config"] = new JsonObject
            {
                ["rank"] = s.Rank,
                ["alpha"] = s.Alpha,
                ["seed"] = s.Seed,
                ["train_attn"] = s.TrainAttn,
                ["train_mlp"] = s.TrainMlp,
                ["train_unembed"] = s.TrainUnembed,
                ["use_rslora"] = s.UseRsLora,
            },
            ["step"] = adapter.Step,
        };
        var optimizer = new List<SafeTensorEntry>();
        foreach (var m in adapter.Modules)
        {
            optimizer.Add(SafeTensorEntry.FromFloats(m.KeyA + ".exp_avg", m.ExpAvgA ?? new float[m.A.Length], m.Rank, m.In));
            optimizer.Add(SafeTensorEntry.FromFloats(m.KeyA + ".exp_avg_sq", m.ExpAvgSqA ?? new float[m.A.Length], m.Rank, m.In));
            optimizer.Add(SafeTensorEntry.FromFloats(m.KeyB + ".exp_avg", m.ExpAvgB ?? new float[m.B.Length], m.Out, m.Rank));
            optimizer.Add(SafeTensorEntry.FromFloats(m.KeyB + ".exp_avg_sq", m.ExpAvgSqB ?? new float[m.B.Length], m.Out, m.Rank));
        }

        var stepText = adapter.Step.ToString(System.Globalization.CultureInfo.InvariantCulture);
        WriteArchive(destination,
        [
            (PeftAdapterFormat.WeightsFile, PeftAdapterFormat.WeightsBytes(adapter)),
            (PeftAdapterFormat.ConfigFile, Encoding.UTF8.GetBytes(PeftAdapterFormat.ConfigJson(adapter, baseModel))),
            (OptimizerFile, SafeTensorsWriter.ToBytes(optimizer, new Dictionary<string, string> { ["step"] = stepText })),
            (MetadataFile, Encoding.UTF8.GetBytes(meta.ToJsonString(new JsonSerializerOptions { WriteIndented = true }))),
        ]);
    }

    public static void WriteSampler(Stream destination, LoraAdapter adapter, string baseModel) =>
        WriteArchive(destination,
        [
            (PeftAdapterFormat.WeightsFile, PeftAdapterFormat.WeightsBytes(adapter)),
            (PeftAdapterFormat.ConfigFile, Encoding.UTF8.GetBytes(PeftAdapterFormat.ConfigJson(adapter, baseModel))),
            (CompleteMarker, []),
        ]);

    /// <summary>Reads a training checkpoint for a model; the optimizer state is restored when asked.</summary>
    public static TrainingCheckpoint ReadTraining(Stream source, Qwen3Config config, string baseModel, bool withOptimizer)
    {
        var entries = ReadEntries(source);
        if (!entries.TryGetValue(MetadataFile, out var metaBytes))
        {
            throw new InvalidComputeRequestException($"Not a training checkpoint: {MetadataFile} is missing.");
        }

        JsonObject meta;
        LoraSettings settings;
        string checkpointBase;
        long step;
        try
        {
            meta = JsonNode.Parse(metaBytes) as JsonObject ?? throw new InvalidComputeRequestException($"{MetadataFile} must be an object.");
            if (meta["format_version"]?.GetValue<int>() != FormatVersion)
            {
                throw new InvalidComputeRequestException($"Unsupported training checkpoint format_version (expected {FormatVersion}).");
            }

            checkpointBase = meta["base_model"]!.GetValue<string>();
            step = meta["step"]!.GetValue<long>();
            var lc = meta["lora_config"]!.AsObject();
            settings = new LoraSettings(
                lc["rank"]!.GetValue<int>(),
                lc["alpha"]!.GetValue<double>(),
                lc["seed"]!.GetValue<ulong>(),
                lc["train_attn"]!.GetValue<bool>(),
                lc["train_mlp"]!.GetValue<bool>(),
                lc["train_unembed"]!.GetValue<bool>(),
                lc["use_rslora"]?.GetValue<bool>() ?? false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new InvalidComputeRequestException($"{MetadataFile} is malformed: {ex.Message}");
        }

        if (checkpointBase != baseModel)
        {
            throw new InvalidComputeRequestException($"The checkpoint was trained on base model '{checkpointBase}', not '{baseModel}'.");
        }

        var adapter = ReadAdapter(entries, config, baseModel, settings.Seed);
        if (adapter.Settings.Rank != settings.Rank || adapter.Settings.TrainAttn != settings.TrainAttn
            || adapter.Settings.TrainMlp != settings.TrainMlp || adapter.Settings.TrainUnembed != settings.TrainUnembed)
        {
            throw new InvalidComputeRequestException("The checkpoint's adapter files disagree with its metadata.");
        }

        adapter = new LoraAdapter(config, settings, adapter.Layers, adapter.LmHead);
        var hasOptimizer = entries.TryGetValue(OptimizerFile, out var optimizerBytes);
        if (withOptimizer)
        {
            if (!hasOptimizer)
            {
                throw new InvalidComputeRequestException($"The checkpoint has no {OptimizerFile}.");
            }

            SafeTensorsFile optimizer;
            try
            {
                optimizer = SafeTensorsFile.Parse(optimizerBytes!);
            }
            catch (SafeTensorsFormatException ex)
            {
                throw new InvalidComputeRequestException($"{OptimizerFile}: {ex.Message}");
            }

            foreach (var m in adapter.Modules)
            {
                m.ExpAvgA = PeftAdapterFormat.ReadTensor(optimizer, m.KeyA + ".exp_avg", m.Rank, m.In);
                m.ExpAvgSqA = PeftAdapterFormat.ReadTensor(optimizer, m.KeyA + ".exp_avg_sq", m.Rank, m.In);
                m.ExpAvgB = PeftAdapterFormat.ReadTensor(optimizer, m.KeyB + ".exp_avg", m.Out, m.Rank);
                m.ExpAvgSqB = PeftAdapterFormat.ReadTensor(optimizer, m.KeyB + ".exp_avg_sq", m.Out, m.Rank);
            }

            adapter.Step = step;
        }

        return new TrainingCheckpoint(adapter, checkpointBase, step, hasOptimizer);
    }

    /// <summary>Reads the PEFT adapter of a sampler (or training) checkpoint archive.</summary>
    public static LoraAdapter ReadSampler(Stream source, Qwen3Config config, string baseModel) =>
        ReadAdapter(ReadEntries(source), config, baseModel, 0);

    private static LoraAdapter ReadAdapter(Dictionary<string, byte[]> entries, Qwen3Config config, string baseModel, ulong seed)
    {
        if (!entries.TryGetValue(PeftAdapterFormat.ConfigFile, out var configBytes) || !entries.TryGetValue(PeftAdapterFormat.WeightsFile, out var weightBytes))
        {
            throw new InvalidComputeRequestException($"The checkpoint lacks {PeftAdapterFormat.ConfigFile} or {PeftAdapterFormat.WeightsFile}.");
        }

        var peft = PeftAdapterFormat.ParseConfig(Encoding.UTF8.GetString(configBytes));
        if (peft.BaseModel is not null && peft.BaseModel != baseModel)
        {
            throw new InvalidComputeRequestException($"The adapter was made for base model '{peft.BaseModel}', not '{baseModel}'.");
        }

        SafeTensorsFile weights;
        try
        {
            weights = SafeTensorsFile.Parse(weightBytes);
        }
        catch (SafeTensorsFormatException ex)
        {
            throw new InvalidComputeRequestException($"{PeftAdapterFormat.WeightsFile}: {ex.Message}");
        }

        return PeftAdapterFormat.Read(config, peft, weights, seed);
    }

    private static void WriteArchive(Stream destination, IEnumerable<(string Name, byte[] Data)> files)
    {
        using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var (name, data) in files)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(data, writable: false),
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            tar.WriteEntry(entry);
        }
    }

    /// <summary>
    /// The regular files of a gzip'd or plain tar, by normalised name. Directories are skipped; links, devices,
    /// absolute names and ".." segments are refused, as are duplicate names.
    /// </summary>
    public static Dictionary<string, byte[]> ReadEntries(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var buffer = new MemoryStream();
        try
        {
            CopyBounded(source, buffer);
            buffer.Position = 0;
            var bytes = buffer.GetBuffer();
            Stream tarStream = buffer.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
                ? new GZipStream(buffer, CompressionMode.Decompress, leaveOpen: true)
                : buffer;
            var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            long total = 0;
            using var reader = new TarReader(tarStream, leaveOpen: true);
            while (reader.GetNextEntry() is { } entry)
            {
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        continue;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        break;
                    default:
                        throw new InvalidComputeRequestException($"Checkpoint archive entry '{entry.Name}' is a {entry.EntryType}; only regular files are accepted.");
                }

                var name = Normalise(entry.Name);
                using var data = new MemoryStream();
                if (entry.DataStream is not null)
                {
                    total += CopyEntry(entry.DataStream, data, MaxUnpackedBytes - total);
                }

                if (!result.TryAdd(name, data.ToArray()))
                {
                    throw new InvalidComputeRequestException($"Checkpoint archive holds '{name}' twice.");
                }
            }

            return result;
        }
        catch (Exception ex) when (ex is not InvalidComputeRequestException and not OutOfMemoryException and not OperationCanceledException)
        {
            throw new InvalidComputeRequestException($"The checkpoint is not a valid tar or tar.gz archive: {ex.Message}");
        }
    }

    private static void CopyBounded(Stream source, MemoryStream destination)
    {
        var chunk = new byte[81920];
        int read;
        while ((read = source.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (destination.Length + read > MaxArchiveBytes)
            {
                throw new InvalidComputeRequestException("The checkpoint archive is too large.");
            }

            destination.Write(chunk, 0, read);
        }
    }

    private static long CopyEntry(Stream source, MemoryStream destination, long budget)
    {
        var chunk = new byte[81920];
        int read;
        while ((read = source.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (destination.Length + read > Math.Min(budget, Array.MaxLength))
            {
                throw new InvalidComputeRequestException("The checkpoint archive unpacks to more data than a checkpoint can hold.");
            }

            destination.Write(chunk, 0, read);
        }

        return destination.Length;
    }

    private static string Normalise(string name)
    {
        var n = name.Replace('\\', '/');
        if (n.StartsWith('/') || (n.Length >= 2 && n[1] == ':'))
        {
            throw new InvalidComputeRequestException($"Checkpoint archive entry '{name}' has an absolute path.");
        }

        var parts = n.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains(".."))
        {
            throw new InvalidComputeRequestException($"Checkpoint archive entry '{name}' escapes the archive.");
        }

        return string.Join('/', parts);
    }
}
