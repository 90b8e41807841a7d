using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Configuration;

namespace TinkerServer.Infrastructure.Compute.Reference;

/// <summary>A servable base model; weights load on first use and are then shared by every run and sampler.</summary>
internal sealed class RegisteredModel
{
    private readonly Lazy<Qwen3Weights> _weights;

    public RegisteredModel(string name, Qwen3Config config, Func<Qwen3Weights> load)
    {
        Name = name;
        Config = config;
        _weights = new Lazy<Qwen3Weights>(load, LazyThreadSafetyMode.ExecutionAndPublication);
        Info = new BaseModelInfo(name, "Qwen3ForCausalLM", config.MaxPositionEmbeddings, config.VocabSize, config.TieWordEmbeddings);
    }

    public string Name { get; }

    public Qwen3Config Config { get; }

    public BaseModelInfo Info { get; }

    public Qwen3Weights Weights => _weights.Value;
}

/// <summary>
/// The base models: the built-in tiny model plus every valid HF Qwen3 directory under TinkerServer:ModelsDirectory,
/// named by directory name. Invalid directories are logged and skipped; the configured BaseModel is listed first.
/// </summary>
public sealed class ReferenceModelRegistry
{
    private readonly Dictionary<string, RegisteredModel> _models = new(StringComparer.Ordinal);

    public ReferenceModelRegistry(IOptions<TinkerServerOptions> options, ILogger<ReferenceModelRegistry> logger)
        : this(options?.Value.ModelsDirectory, options?.Value.BaseModel, logger)
    {
    }

    internal ReferenceModelRegistry(string? modelsDirectory, string? preferred, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        var ordered = new List<RegisteredModel>
        {
            new(BuiltInModels.TinyName, BuiltInModels.TinyConfig, () => BuiltInModels.Generate(BuiltInModels.TinyConfig, BuiltInModels.TinySeed)),
        };
        if (!string.IsNullOrWhiteSpace(modelsDirectory))
        {
            if (!Directory.Exists(modelsDirectory))
            {
                logger.LogWarning("Models directory {Directory} does not exist; serving only the built-in model.", modelsDirectory);
            }
            else
            {
                foreach (var dir in Directory.GetDirectories(modelsDirectory).Order(StringComparer.Ordinal))
                {
                    var name = Path.GetFileName(dir);
                    if (ordered.Any(m => m.Name == name))
                    {
                        logger.LogWarning("Skipping model directory {Directory}: the name {Name} is already taken.", dir, name);
                        continue;
                    }

                    try
                    {
                        var config = HfModelDirectory.Validate(dir);
                        var path = dir;
                        ordered.Add(new RegisteredModel(name, config, () => HfModelDirectory.Load(path)));
                        if (logger.IsEnabled(LogLevel.Information))
                        {
                            logger.LogInformation("Serving base model {Name} from {Directory}.", name, dir);
                        }
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        logger.LogWarning("Skipping model directory {Directory}: {Reason}", dir, ex.Message);
                    }
                }
            }
        }

        if (!string.IsNullOrWhiteSpace(preferred))
        {
            var index = ordered.FindIndex(m => m.Name == preferred);
            if (index < 0)
            {
                var fallback = ordered[0].Name;
                logger.LogWarning("Configured base model {Name} is not available; listing {Default} first.", preferred, fallback);
            }
            else
            {
                var chosen = ordered[index];
                ordered.RemoveAt(index);
                ordered.Insert(0, chosen);
            }
        }

        foreach (var m in ordered)
        {
            _models[m.Name] = m;
        }

        Models = [.. ordered.Select(m => m.Info)];
    }

    public IReadOnlyList<BaseModelInfo> Models { get; }

    internal RegisteredModel Get(string name) =>
        name is not null && _models.TryGetValue(name, out var model)
            ? model
            : throw new InvalidComputeRequestException(
                $"Unknown base model '{name}'; available: {string.Join(", ", Models.Select(m => m.Name))}.");
}
