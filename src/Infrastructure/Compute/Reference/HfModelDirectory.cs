using TinkerServer.Infrastructure.Compute.SafeTensors;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>Reads and writes Hugging Face-format Qwen3 model directories (config.json + *.safetensors).</summary>
internal static class HfModelDirectory
{
    /// <summary>
    /// Checks a directory without loading tensor data: config.json parses as Qwen3, every required tensor is in
    /// exactly one *.safetensors file with the expected shape and a floating-point dtype.
    /// </summary>
    public static Qwen3Config Validate(string directory)
    {
        var config = ReadConfig(directory);
        var files = OpenAll(directory);
        try
        {
            _ = Index(config, files);
        }
        finally
        {
            foreach (var f in files)
            {
                f.Dispose();
            }
        }

        return config;
    }

    public static Qwen3Weights Load(string directory)
    {
        var config = ReadConfig(directory);
        var files = OpenAll(directory);
        try
        {
            var index = Index(config, files);
            return Qwen3Weights.FromTensors(config, name => index[name].ReadFloat32(name));
        }
        finally
        {
            foreach (var f in files)
            {
                f.Dispose();
            }
        }
    }

    /// <summary>Writes config.json and model.safetensors (F32, metadata format=pt, as transformers does).</summary>
    public static void Write(Qwen3Weights weights, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), weights.Config.ToJson());
        using var stream = File.Create(Path.Combine(directory, "model.safetensors"));
        SafeTensorsWriter.Write(
            stream,
            weights.Tensors().Select(t => SafeTensorEntry.FromFloats(t.Name, t.Data, t.Shape)),
            new Dictionary<string, string> { ["format"] = "pt" });
    }

    private static Qwen3Config ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"'{directory}' has no config.json.");
        }

        return Qwen3Config.Parse(File.ReadAllText(path));
    }

    private static List<SafeTensorsFile> OpenAll(string directory)
    {
        var paths = Directory.GetFiles(directory, "*.safetensors").Order(StringComparer.Ordinal).ToList();
        if (paths.Count == 0)
        {
            throw new InvalidDataException($"'{directory}' has no *.safetensors file.");
        }

        var files = new List<SafeTensorsFile>();
        try
        {
            foreach (var p in paths)
            {
                try
                {
                    files.Add(SafeTensorsFile.Open(p));
                }
                catch (SafeTensorsFormatException ex)
                {
                    throw new InvalidDataException($"{Path.GetFileName(p)}: {ex.Message}");
                }
            }
        }
        catch
        {
            foreach (var f in files)
            {
                f.Dispose();
            }

            throw;
        }

        return files;
    }

    private static Dictionary<string, SafeTensorsFile> Index(Qwen3Config config, List<SafeTensorsFile> files)
    {
        var owner = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        foreach (var f in files)
        {
            foreach (var t in f.Tensors)
            {
                if (!owner.TryAdd(t.Name, f))
                {
                    throw new InvalidDataException($"Tensor '{t.Name}' appears in more than one safetensors file.");
                }
            }
        }

        foreach (var (name, shape) in Qwen3Weights.TensorShapes(config))
        {
            if (!owner.TryGetValue(name, out var file))
            {
                throw new InvalidDataException($"Tensor '{name}' is missing.");
            }

            var info = file.Get(name);
            if (!info.Shape.SequenceEqual(shape))
            {
                throw new InvalidDataException($"Tensor '{name}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", shape)}].");
            }

            if (info.DType is not (SafeTensorDType.F32 or SafeTensorDType.F16 or SafeTensorDType.BF16 or SafeTensorDType.F64))
            {
                throw new InvalidDataException($"Tensor '{name}' has dtype {SafeTensorDTypes.ToName(info.DType)}; expected F32, F16 or BF16.");
            }
        }

        return owner;
    }
}
